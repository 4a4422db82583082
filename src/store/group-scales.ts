// How many machines each process group should have, once someone scaled it. Deploys keep
// these sizes; a group never scaled is sized by the machines it has.
import type { Db } from './database.js';

export class GroupScaleStore {
  constructor(private readonly db: Db) {}

  /** Desired machine counts by group for an app; groups never scaled are absent. */
  get(app: string): Record<string, number> {
    const rows = this.db
      .prepare('SELECT process_group, desired FROM group_scales WHERE app = ?')
      .all(app) as { process_group: string; desired: number }[];
    return Object.fromEntries(rows.map((r) => [r.process_group, r.desired]));
  }

  set(app: string, group: string, desired: number): void {
    this.db
      .prepare(
        `INSERT INTO group_scales (app, process_group, desired, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (app, process_group) DO UPDATE SET desired = excluded.desired, updated_at = excluded.updated_at`,
      )
      .run(app, group, desired, new Date().toISOString());
  }
}
