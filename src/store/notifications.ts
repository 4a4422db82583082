// Notification targets added with `berth notify add`, and deliveries waiting or done. A
// delivery is written before it is sent, so a restart resumes pending ones.
import type { Db } from './database.js';

export interface NotifyTarget {
  id: number;
  app: string;
  url: string;
  /** Sealed by the secrets vault; never returned by the API. */
  secretSealed: string | null;
  events: string[];
  createdAt: string;
  createdBy: string;
}

export interface Delivery {
  id: number;
  app: string;
  url: string;
  kind: string;
  payload: string;
  targetId: number | null;
  secretName: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAt: number;
  lastError: string | null;
}

interface TargetRow {
  id: number;
  app: string;
  url: string;
  secret_sealed: string | null;
  events_json: string;
  created_at: string;
  created_by: string;
}

interface DeliveryRow {
  id: number;
  app: string;
  url: string;
  kind: string;
  payload_json: string;
  target_id: number | null;
  secret_name: string | null;
  status: Delivery['status'];
  attempts: number;
  next_at: number;
  last_error: string | null;
}

const toTarget = (r: TargetRow): NotifyTarget => ({
  id: r.id,
  app: r.app,
  url: r.url,
  secretSealed: r.secret_sealed,
  events: JSON.parse(r.events_json) as string[],
  createdAt: r.created_at,
  createdBy: r.created_by,
});

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  app: r.app,
  url: r.url,
  kind: r.kind,
  payload: r.payload_json,
  targetId: r.target_id,
  secretName: r.secret_name,
  status: r.status,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: r.last_error,
});

export class NotificationStore {
  constructor(private readonly db: Db) {}

  /** Adds a target, or replaces the one with the same URL. */
  addTarget(input: {
    app: string;
    url: string;
    secretSealed: string | null;
    events: string[];
    user: string;
  }): NotifyTarget {
    this.db
      .prepare(
        `INSERT INTO notify_targets (app, url, secret_sealed, events_json, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (app, url) DO UPDATE SET secret_sealed = excluded.secret_sealed,
           events_json = excluded.events_json, created_at = excluded.created_at, created_by = excluded.created_by`,
      )
      .run(
        input.app,
        input.url,
        input.secretSealed,
        JSON.stringify(input.events),
        new Date().toISOString(),
        input.user,
      );
    return this.targets(input.app).find((t) => t.url === input.url)!;
  }

  targets(app: string): NotifyTarget[] {
    return (
      this.db.prepare('SELECT * FROM notify_targets WHERE app = ? ORDER BY id').all(app) as TargetRow[]
    ).map(toTarget);
  }

  target(id: number): NotifyTarget | undefined {
    const row = this.db.prepare('SELECT * FROM notify_targets WHERE id = ?').get(id) as TargetRow | undefined;
    return row && toTarget(row);
  }

  /** Removes by id or URL; the removed target, if there was one. */
  removeTarget(app: string, idOrUrl: string): NotifyTarget | undefined {
    const target = this.targets(app).find((t) => String(t.id) === idOrUrl || t.url === idOrUrl);
    if (target) this.db.prepare('DELETE FROM notify_targets WHERE id = ?').run(target.id);
    return target;
  }

  enqueue(input: {
    app: string;
    url: string;
    kind: string;
    payload: string;
    targetId: number | null;
    secretName: string | null;
  }): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO notify_deliveries (app, url, kind, payload_json, target_id, secret_name, status, attempts, next_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
        )
        .run(
          input.app,
          input.url,
          input.kind,
          input.payload,
          input.targetId,
          input.secretName,
          Date.now(),
          new Date().toISOString(),
        ).lastInsertRowid,
    );
  }

  due(now: number, limit: number): Delivery[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM notify_deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
        )
        .all(now, limit) as DeliveryRow[]
    ).map(toDelivery);
  }

  /** The earliest time a pending delivery is due; undefined when none is pending. */
  nextDueAt(): number | undefined {
    const row = this.db
      .prepare("SELECT MIN(next_at) AS at FROM notify_deliveries WHERE status = 'pending'")
      .get() as { at: number | null };
    return row.at ?? undefined;
  }

  delivered(id: number, attempts: number): void {
    this.db
      .prepare(
        "UPDATE notify_deliveries SET status = 'delivered', attempts = ?, last_error = NULL, finished_at = ? WHERE id = ?",
      )
      .run(attempts, new Date().toISOString(), id);
  }

  /** A failed attempt: tried again at `nextAt`, or given up when nextAt is undefined. */
  attemptFailed(id: number, attempts: number, error: string, nextAt: number | undefined): void {
    if (nextAt === undefined) {
      this.db
        .prepare(
          "UPDATE notify_deliveries SET status = 'failed', attempts = ?, last_error = ?, finished_at = ? WHERE id = ?",
        )
        .run(attempts, error, new Date().toISOString(), id);
      return;
    }
    this.db
      .prepare('UPDATE notify_deliveries SET attempts = ?, last_error = ?, next_at = ? WHERE id = ?')
      .run(attempts, error, nextAt, id);
  }
}
