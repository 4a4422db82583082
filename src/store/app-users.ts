// The uid each app's machines run as (process driver, as root): given once, kept for good.
import type { Db } from './database.js';

/** Fits the process driver's AppUserRegistry. */
export class AppUserStore {
  constructor(private readonly db: Db) {}

  uidOf(app: string): number | undefined {
    const row = this.db.prepare('SELECT uid FROM app_users WHERE app = ?').get(app) as
      { uid: number } | undefined;
    return row?.uid;
  }

  taken(): Set<number> {
    const rows = this.db.prepare('SELECT uid FROM app_users').all() as { uid: number }[];
    return new Set(rows.map((r) => r.uid));
  }

  claim(app: string, uid: number): boolean {
    const result = this.db
      .prepare('INSERT INTO app_users (app, uid, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      .run(app, uid, new Date().toISOString());
    return result.changes === 1;
  }
}
