// The append-only event log. Every append is also published in-process, so API streams can
// follow a release's progress live after replaying what the table already holds.
import { EventEmitter } from 'node:events';
import type { BerthEvent } from '../core/model.js';
import { currentActor } from './actor.js';
import type { Db } from './database.js';

interface EventRow {
  id: number;
  at: string;
  app: string | null;
  release_version: number | null;
  machine_id: string | null;
  kind: string;
  message: string;
  data_json: string | null;
  actor: string | null;
}

const toEvent = (r: EventRow): BerthEvent => ({
  id: r.id,
  at: r.at,
  app: r.app,
  releaseVersion: r.release_version,
  machineId: r.machine_id,
  kind: r.kind,
  message: r.message,
  data: r.data_json ? (JSON.parse(r.data_json) as Record<string, unknown>) : null,
  actor: r.actor,
});

export interface NewEvent {
  app?: string | null;
  releaseVersion?: number | null;
  machineId?: string | null;
  kind: string;
  message: string;
  data?: Record<string, unknown>;
  /** Who caused it; default: the user of the API request it happens under (see actor.ts). */
  actor?: string | null;
}

export class EventStore {
  private readonly bus = new EventEmitter();

  constructor(private readonly db: Db) {
    this.bus.setMaxListeners(0);
  }

  append(input: NewEvent): BerthEvent {
    const at = new Date().toISOString();
    const actor = input.actor === undefined ? (currentActor() ?? null) : input.actor;
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO events (at, app, release_version, machine_id, kind, message, data_json, actor)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          at,
          input.app ?? null,
          input.releaseVersion ?? null,
          input.machineId ?? null,
          input.kind,
          input.message,
          input.data ? JSON.stringify(input.data) : null,
          actor,
        ).lastInsertRowid,
    );
    const event: BerthEvent = {
      id,
      at,
      app: input.app ?? null,
      releaseVersion: input.releaseVersion ?? null,
      machineId: input.machineId ?? null,
      kind: input.kind,
      message: input.message,
      data: input.data ?? null,
      actor,
    };
    this.bus.emit('event', event);
    return event;
  }

  list(filter: { app?: string; releaseVersion?: number; afterId?: number; limit?: number }): BerthEvent[] {
    const where: string[] = ['id > ?'];
    const args: unknown[] = [filter.afterId ?? 0];
    if (filter.app !== undefined) {
      where.push('app = ?');
      args.push(filter.app);
    }
    if (filter.releaseVersion !== undefined) {
      where.push('release_version = ?');
      args.push(filter.releaseVersion);
    }
    args.push(filter.limit ?? 10_000);
    return (
      this.db
        .prepare(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`)
        .all(...args) as EventRow[]
    ).map(toEvent);
  }

  /** The newest `limit` events (of one app, when given), oldest first, leaving out `exceptKinds`. */
  recent(filter: {
    app?: string;
    /** Events about one of these apps only (a token limited to them). */
    apps?: readonly string[];
    exceptKinds?: readonly string[];
    limit: number;
  }): BerthEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.app !== undefined) {
      where.push('app = ?');
      args.push(filter.app);
    }
    if (filter.apps !== undefined) {
      where.push(`app IN (${filter.apps.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...filter.apps);
    }
    if (filter.exceptKinds?.length) {
      where.push(`kind NOT IN (${filter.exceptKinds.map(() => '?').join(', ')})`);
      args.push(...filter.exceptKinds);
    }
    args.push(filter.limit);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return (
      this.db.prepare(`SELECT * FROM events ${clause} ORDER BY id DESC LIMIT ?`).all(...args) as EventRow[]
    )
      .map(toEvent)
      .reverse();
  }

  /** The latest events about one machine, oldest first. */
  recentForMachine(machineId: string, limit: number): BerthEvent[] {
    return (
      this.db
        .prepare('SELECT * FROM events WHERE machine_id = ? ORDER BY id DESC LIMIT ?')
        .all(machineId, limit) as EventRow[]
    )
      .map(toEvent)
      .reverse();
  }

  /** How many events of `kind` each machine of the app had since `since` (ISO time). */
  countByMachine(app: string, kind: string, since: string): Map<string, number> {
    const rows = this.db
      .prepare(
        `SELECT machine_id AS id, COUNT(*) AS n FROM events
         WHERE app = ? AND kind = ? AND at >= ? AND machine_id IS NOT NULL GROUP BY machine_id`,
      )
      .all(app, kind, since) as { id: string; n: number }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Calls listener for every new event; returns the unsubscribe function. */
  subscribe(listener: (event: BerthEvent) => void): () => void {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }
}
