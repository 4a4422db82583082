// The apps table.
import { isDriverName, type DriverName } from '../core/drivers.js';
import type { App } from '../core/model.js';
import type { Db } from './database.js';

interface AppRow {
  name: string;
  current_release: number | null;
  created_at: string;
  created_by: string;
  driver: string | null;
}

const toApp = (r: AppRow): App => ({
  name: r.name,
  currentRelease: r.current_release,
  createdAt: r.created_at,
  createdBy: r.created_by,
  driver: isDriverName(r.driver) ? r.driver : null,
});

export class AppStore {
  constructor(private readonly db: Db) {}

  get(name: string): App | undefined {
    const row = this.db.prepare('SELECT * FROM apps WHERE name = ?').get(name) as AppRow | undefined;
    return row && toApp(row);
  }

  list(): App[] {
    return (this.db.prepare('SELECT * FROM apps ORDER BY name').all() as AppRow[]).map(toApp);
  }

  /** Creates the app; returns false when it already exists. */
  create(name: string, user: string): boolean {
    const result = this.db
      .prepare('INSERT OR IGNORE INTO apps (name, created_at, created_by) VALUES (?, ?, ?)')
      .run(name, new Date().toISOString(), user);
    return result.changes === 1;
  }

  setCurrentRelease(name: string, version: number | null): void {
    this.db.prepare('UPDATE apps SET current_release = ? WHERE name = ?').run(version, name);
  }

  /** The driver the app's next deploys run on, unless one asks for another. */
  setDriver(name: string, driver: DriverName): void {
    this.db.prepare('UPDATE apps SET driver = ? WHERE name = ?').run(driver, name);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM apps WHERE name = ?').run(name);
  }
}
