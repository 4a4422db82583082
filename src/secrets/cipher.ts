// AES-256-GCM sealing for secret values and for the per-app data keys that encrypt them. The
// additional data binds each ciphertext to where it belongs (app, secret name), so a sealed
// value copied to another row or app does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** The ciphertext did not open: a wrong key, a tampered ciphertext, or the wrong place. */
export class UnsealError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnsealError';
  }
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Encrypts plaintext as "v1:" + base64(iv | tag | ciphertext). */
export function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

export function open(key: Buffer, sealed: string, aad: string): Buffer {
  assertKey(key);
  const prefix = `${FORMAT}:`;
  if (!sealed.startsWith(prefix)) throw new UnsealError('not a sealed value of a format berth knows');
  const raw = Buffer.from(sealed.slice(prefix.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new UnsealError('sealed value is truncated');
  const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new UnsealError('authentication failed: wrong key, or the ciphertext was altered');
  }
}

/** What a data key is bound to when wrapped by the master key. */
export function dataKeyAad(app: string): string {
  return `berth/data-key/${app}`;
}

/** What a secret's value is bound to when sealed by its app's data key. */
export function secretAad(app: string, name: string): string {
  return `berth/secret/${app}/${name}`;
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES)
    throw new RangeError(`an AES-256 key is ${KEY_BYTES} bytes, not ${key.length}`);
}

/** What a `machine run -e` value is bound to when sealed by its app's data key. */
export function machineEnvAad(app: string, name: string): string {
  return `berth/machine-env/${app}/${name}`;
}
