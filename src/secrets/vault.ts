// An app's secrets as the daemon uses them: validated, sealed on the way in, staged or made
// current, listed by digest, and opened only to build a starting machine's environment.
import { BerthError } from '../core/errors.js';
import { reservedNameHint, secretNameProblem, secretValueProblem } from '../core/secret-name.js';
import type { SecretChange } from '../core/secret-change.js';
import type { SecretStore, StagedSecret } from '../store/secrets.js';
import { dataKeyAad, machineEnvAad, newKey, open, seal, secretAad, UnsealError } from './cipher.js';
import { secretDigest, secretSetDigest } from './digest.js';
import type { MasterKey } from './master-key.js';

/** One line of `secrets list`: never a value. */
export interface SecretListing {
  name: string;
  /** Digest of the current value; null when the secret exists only as a staged set. */
  digest: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
  /** A staged change waiting for `secrets deploy`. */
  pending: { action: 'set' | 'unset'; digest: string | null; stagedAt: string; stagedBy: string } | null;
}

export interface SecretEdit {
  set: Record<string, string>;
  unset: string[];
}

export class SecretVault {
  constructor(
    private readonly store: SecretStore,
    private readonly masterKey: MasterKey,
  ) {}

  /** Refuses to go on when the master key cannot open an app's data key (wrong or lost key). */
  verifyMasterKey(): void {
    const wrapped = this.store.allWrappedKeys();
    if (wrapped.length === 0) return;
    if (!this.masterKey.exists) {
      throw new BerthError(
        'secrets_unreadable',
        `${wrapped.length} app(s) have secrets, but there is no master key (${this.masterKey.origin} is missing)`,
      );
    }
    for (const { app } of wrapped) this.dataKey(app, false);
  }

  /** Checks an edit and stages it; nothing is stored when any part of it is wrong. */
  stage(app: string, edit: SecretEdit, user: string): SecretChange {
    const setNames = Object.keys(edit.set);
    const problems = [...setNames, ...edit.unset]
      .map((name) => secretNameProblem(name))
      .filter((p): p is string => p !== undefined);
    if (problems.length > 0) {
      // A reserved name is a valid one taken by berth: say what to do instead.
      const reserved = [...setNames, ...edit.unset].map((name) => reservedNameHint(name)).find(Boolean);
      throw new BerthError('invalid_secret_name', problems.join('; '), {
        details: { problems },
        ...(reserved && { hint: reserved }),
      });
    }
    for (const name of setNames) {
      const value = edit.set[name]!;
      const problem = secretValueProblem(name, Buffer.byteLength(value, 'utf8'), value.includes('\0'));
      if (problem)
        throw new BerthError('invalid_request', problem, {
          hint: 'Store a smaller value without NUL bytes.',
        });
    }
    const both = setNames.filter((name) => edit.unset.includes(name));
    if (both.length > 0) {
      throw new BerthError('invalid_request', `${both.join(', ')} cannot be both set and unset at once`, {
        hint: 'Name each secret once.',
      });
    }
    if (setNames.length + edit.unset.length === 0) {
      throw new BerthError('invalid_request', 'no secrets named', {
        hint: 'Pass NAME=VALUE pairs to set, or NAMEs to unset.',
      });
    }
    const known = this.effectiveNames(app);
    const unknown = edit.unset.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new BerthError('secret_not_found', `app "${app}" has no secret ${unknown.join(', ')}`);
    }
    const dataKey = this.dataKey(app, true)!;
    const changes: Array<Omit<StagedSecret, 'stagedAt'>> = setNames.map((name) => {
      const value = Buffer.from(edit.set[name]!, 'utf8');
      return {
        name,
        sealedValue: seal(dataKey, value, secretAad(app, name)),
        digest: secretDigest(dataKey, name, value),
        stagedBy: user,
      };
    });
    for (const name of edit.unset) changes.push({ name, sealedValue: null, digest: null, stagedBy: user });
    this.store.stage(app, changes);
    return { set: setNames, unset: [...edit.unset] };
  }

  /** What `secrets deploy` would apply now. */
  pending(app: string): SecretChange {
    const staged = this.store.listStaged(app);
    return {
      set: staged.filter((s) => s.sealedValue !== null).map((s) => s.name),
      unset: staged.filter((s) => s.sealedValue === null).map((s) => s.name),
    };
  }

  /** Makes staged changes current; null when nothing was staged. */
  applyStaged(app: string): SecretChange | null {
    const applied = this.store.applyStaged(app);
    if (applied.length === 0) return null;
    return {
      set: applied.filter((s) => s.sealedValue !== null).map((s) => s.name),
      unset: applied.filter((s) => s.sealedValue === null).map((s) => s.name),
    };
  }

  list(app: string): SecretListing[] {
    const byName = new Map<string, SecretListing>();
    for (const s of this.store.list(app)) {
      byName.set(s.name, {
        name: s.name,
        digest: s.digest,
        updatedAt: s.updatedAt,
        updatedBy: s.updatedBy,
        pending: null,
      });
    }
    for (const s of this.store.listStaged(app)) {
      const listing = byName.get(s.name) ?? {
        name: s.name,
        digest: null,
        updatedAt: null,
        updatedBy: null,
        pending: null,
      };
      listing.pending = {
        action: s.sealedValue === null ? 'unset' : 'set',
        digest: s.digest,
        stagedAt: s.stagedAt,
        stagedBy: s.stagedBy,
      };
      byName.set(s.name, listing);
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Digest of the current secret set, recorded on releases; null when the app has none. */
  digest(app: string): string | null {
    const secrets = this.store.list(app);
    if (secrets.length === 0) return null;
    const digests = Object.fromEntries(secrets.map((s) => [s.name, s.digest]));
    return secretSetDigest(this.dataKey(app, false)!, digests);
  }

  /** The current values, opened for a machine about to start: only ever passed as its environment. */
  envFor(app: string): Record<string, string> {
    const secrets = this.store.list(app);
    if (secrets.length === 0) return {};
    const dataKey = this.dataKey(app, false)!;
    const env = new Map<string, string>();
    for (const s of secrets) {
      try {
        env.set(s.name, open(dataKey, s.sealedValue, secretAad(app, s.name)).toString('utf8'));
      } catch (err) {
        if (!(err instanceof UnsealError)) throw err;
        throw new BerthError(
          'secrets_unreadable',
          `secret ${s.name} of app "${app}" does not decrypt: ${err.message}`,
        );
      }
    }
    return Object.fromEntries(env);
  }

  /**
   * `machine run -e` values, sealed with the app's data key like its secrets: berth.db never
   * holds them in the clear, whatever their names say.
   */
  sealMachineEnv(app: string, env: Record<string, string>): Record<string, string> {
    const names = Object.keys(env);
    if (names.length === 0) return {};
    const dataKey = this.dataKey(app, true)!;
    return Object.fromEntries(
      names.map((name) => [name, seal(dataKey, Buffer.from(env[name]!, 'utf8'), machineEnvAad(app, name))]),
    );
  }

  /** The values sealed by sealMachineEnv, opened for a machine about to start. */
  openMachineEnv(app: string, sealed: Record<string, string>): Record<string, string> {
    const names = Object.keys(sealed);
    if (names.length === 0) return {};
    const dataKey = this.dataKey(app, false);
    const env: Record<string, string> = {};
    for (const name of names) {
      try {
        if (!dataKey) throw new UnsealError('the app has no data key');
        env[name] = open(dataKey, sealed[name]!, machineEnvAad(app, name)).toString('utf8');
      } catch (err) {
        if (!(err instanceof UnsealError)) throw err;
        throw new BerthError(
          'secrets_unreadable',
          `the -e value ${name} of a machine of app "${app}" does not decrypt: ${err.message}`,
        );
      }
    }
    return env;
  }

  /** Names that exist once staged changes are counted. */
  private effectiveNames(app: string): Set<string> {
    const names = new Set(this.store.list(app).map((s) => s.name));
    for (const s of this.store.listStaged(app)) {
      if (s.sealedValue === null) names.delete(s.name);
      else names.add(s.name);
    }
    return names;
  }

  /** The app's data key, unwrapped; created (and wrapped) on first need when asked. */
  private dataKey(app: string, create: boolean): Buffer | undefined {
    let wrapped = this.store.wrappedKey(app);
    if (!wrapped) {
      if (!create) return undefined;
      const fresh = newKey();
      wrapped = this.store.putWrappedKeyOnce(app, seal(this.masterKey.get(), fresh, dataKeyAad(app)));
    }
    try {
      return open(this.masterKey.get(), wrapped, dataKeyAad(app));
    } catch (err) {
      if (!(err instanceof UnsealError)) throw err;
      throw new BerthError(
        'secrets_unreadable',
        `the master key (${this.masterKey.origin}) does not open the secrets of app "${app}": it is not the key they were written with`,
      );
    }
  }
}
