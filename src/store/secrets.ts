// The secrets tables: per-app wrapped data keys, current (sealed) values and staged changes.
// Nothing here is ever plaintext; SecretVault seals and opens.
import type { Db } from './database.js';

export interface StoredSecret {
  name: string;
  sealedValue: string;
  digest: string;
  updatedAt: string;
  updatedBy: string;
}

/** A staged change: a new sealed value, or null for a staged unset. */
export interface StagedSecret {
  name: string;
  sealedValue: string | null;
  digest: string | null;
  stagedAt: string;
  stagedBy: string;
}

interface SecretRow {
  name: string;
  sealed_value: string;
  digest: string;
  updated_at: string;
  updated_by: string;
}

interface StagedRow {
  name: string;
  sealed_value: string | null;
  digest: string | null;
  staged_at: string;
  staged_by: string;
}

export class SecretStore {
  constructor(private readonly db: Db) {}

  wrappedKey(app: string): string | undefined {
    const row = this.db.prepare('SELECT wrapped_key FROM secret_keys WHERE app = ?').get(app) as
      { wrapped_key: string } | undefined;
    return row?.wrapped_key;
  }

  /** Every app's wrapped key, to check at start that the master key opens them all. */
  allWrappedKeys(): Array<{ app: string; wrappedKey: string }> {
    return (
      this.db.prepare('SELECT app, wrapped_key FROM secret_keys ORDER BY app').all() as Array<{
        app: string;
        wrapped_key: string;
      }>
    ).map((r) => ({ app: r.app, wrappedKey: r.wrapped_key }));
  }

  /** Stores the app's wrapped data key unless one exists; returns the one that is stored. */
  putWrappedKeyOnce(app: string, wrappedKey: string): string {
    this.db
      .prepare('INSERT OR IGNORE INTO secret_keys (app, wrapped_key, created_at) VALUES (?, ?, ?)')
      .run(app, wrappedKey, new Date().toISOString());
    return this.wrappedKey(app)!;
  }

  list(app: string): StoredSecret[] {
    return (this.db.prepare('SELECT * FROM secrets WHERE app = ? ORDER BY name').all(app) as SecretRow[]).map(
      (r) => ({
        name: r.name,
        sealedValue: r.sealed_value,
        digest: r.digest,
        updatedAt: r.updated_at,
        updatedBy: r.updated_by,
      }),
    );
  }

  listStaged(app: string): StagedSecret[] {
    return (
      this.db.prepare('SELECT * FROM staged_secrets WHERE app = ? ORDER BY name').all(app) as StagedRow[]
    ).map((r) => ({
      name: r.name,
      sealedValue: r.sealed_value,
      digest: r.digest,
      stagedAt: r.staged_at,
      stagedBy: r.staged_by,
    }));
  }

  /** Records staged changes (replacing earlier staged changes of the same names), atomically. */
  stage(app: string, changes: Array<Omit<StagedSecret, 'stagedAt'>>): void {
    const now = new Date().toISOString();
    const put = this.db.prepare(
      `INSERT INTO staged_secrets (app, name, sealed_value, digest, staged_at, staged_by)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (app, name) DO UPDATE SET sealed_value = excluded.sealed_value,
         digest = excluded.digest, staged_at = excluded.staged_at, staged_by = excluded.staged_by`,
    );
    this.db.transaction(() => {
      for (const c of changes) put.run(app, c.name, c.sealedValue, c.digest, now, c.stagedBy);
    })();
  }

  /** Makes every staged change current and clears the stage, atomically; returns what it applied. */
  applyStaged(app: string): StagedSecret[] {
    return this.db.transaction(() => {
      const staged = this.listStaged(app);
      const upsert = this.db.prepare(
        `INSERT INTO secrets (app, name, sealed_value, digest, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (app, name) DO UPDATE SET sealed_value = excluded.sealed_value,
           digest = excluded.digest, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      );
      const remove = this.db.prepare('DELETE FROM secrets WHERE app = ? AND name = ?');
      const now = new Date().toISOString();
      for (const s of staged) {
        if (s.sealedValue === null || s.digest === null) remove.run(app, s.name);
        else upsert.run(app, s.name, s.sealedValue, s.digest, now, s.stagedBy);
      }
      this.db.prepare('DELETE FROM staged_secrets WHERE app = ?').run(app);
      return staged;
    })();
  }
}
