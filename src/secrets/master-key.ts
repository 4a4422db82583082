// The master key wraps every app's data key. It comes from BERTH_MASTER_KEY (base64 or hex of
// 32 bytes) or from <home>/master.key, created with mode 0600 the first time a secret is set.
// A key file others can read is refused, as ssh refuses a private key others can read.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../core/errors.js';
import { KEY_BYTES, newKey } from './cipher.js';

export const MASTER_KEY_ENV = 'BERTH_MASTER_KEY';

/** Reads a key written as base64 or hex; undefined when it is neither, or not 32 bytes. */
export function parseKeyText(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  return undefined;
}

export class MasterKey {
  private cached: Buffer | undefined;

  private constructor(
    /** Where the key comes from, for messages: never the key itself. */
    readonly origin: string,
    private readonly file: string | undefined,
    key: Buffer | undefined,
  ) {
    this.cached = key;
  }

  /**
   * Finds the master key without creating one: from the environment (validated now), else
   * from the file if it exists (permissions and contents checked now).
   */
  static locate(file: string, env: NodeJS.ProcessEnv = process.env): MasterKey {
    const fromEnv = env[MASTER_KEY_ENV];
    if (fromEnv !== undefined && fromEnv !== '') {
      const key = parseKeyText(fromEnv);
      if (!key) {
        throw new BerthError('master_key_invalid', `${MASTER_KEY_ENV} is not a 32-byte key in base64 or hex`);
      }
      return new MasterKey(MASTER_KEY_ENV, undefined, key);
    }
    return new MasterKey(file, file, existsSync(file) ? readKeyFile(file) : undefined);
  }

  /** Whether a key exists yet (a file not yet created does not). */
  get exists(): boolean {
    return this.cached !== undefined;
  }

  /** The key, creating <home>/master.key on first need. */
  get(): Buffer {
    if (this.cached) return this.cached;
    if (!this.file) throw new Error('unreachable: a key from the environment is always present');
    if (existsSync(this.file)) {
      this.cached = readKeyFile(this.file);
      return this.cached;
    }
    const key = newKey();
    // wx: never overwrite a key another process wrote in between.
    writeFileSync(this.file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    this.cached = key;
    return key;
  }
}

function readKeyFile(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new BerthError(
      'master_key_invalid',
      `${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it guards every secret`,
      { hint: `Run \`chmod 600 ${file}\` and start berth again.` },
    );
  }
  const raw = readFileSync(file);
  const key = raw.length === KEY_BYTES ? raw : parseKeyText(raw.toString('utf8'));
  if (!key) {
    throw new BerthError('master_key_invalid', `${file} does not hold a 32-byte key (base64, hex or raw)`, {
      hint: `Restore the file from a backup, or set ${MASTER_KEY_ENV} to the key the secrets were written with.`,
    });
  }
  return key;
}

/** Where the daemon keeps its master key when BERTH_MASTER_KEY is not set. */
export function masterKeyFile(home: string): string {
  return join(home, 'master.key');
}
