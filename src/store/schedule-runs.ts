// Schedules' state and runs. A run row is inserted (claimed) before its machine starts, under a
// unique (app, schedule, due_at) index: a due time is run at most once, whatever restarts.
import type { RunOutcome, ScheduleTrigger } from '../core/schedules/plan.js';
import type { Db } from './database.js';

const MISSED_REASON = 'due while the daemon was not running (or too late), past the catch-up window';

export type RunStatus = 'claimed' | 'running' | 'finished';

export interface ScheduleRun {
  id: number;
  app: string;
  schedule: string;
  dueAt: string;
  trigger: ScheduleTrigger;
  releaseVersion: number | null;
  machineId: string | null;
  attempt: number;
  status: RunStatus;
  outcome: RunOutcome | null;
  exitCode: number | null;
  reason: string | null;
  logTail: string | null;
  claimedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

interface RunRow {
  id: number;
  app: string;
  schedule: string;
  due_at: number;
  trigger: string;
  release_version: number | null;
  machine_id: string | null;
  attempt: number;
  status: string;
  outcome: string | null;
  exit_code: number | null;
  reason: string | null;
  log_tail: string | null;
  claimed_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

const toRun = (r: RunRow): ScheduleRun => ({
  id: r.id,
  app: r.app,
  schedule: r.schedule,
  dueAt: new Date(r.due_at).toISOString(),
  trigger: r.trigger as ScheduleTrigger,
  releaseVersion: r.release_version,
  machineId: r.machine_id,
  attempt: r.attempt,
  status: r.status as RunStatus,
  outcome: r.outcome as RunOutcome | null,
  exitCode: r.exit_code,
  reason: r.reason,
  logTail: r.log_tail,
  claimedAt: r.claimed_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  durationMs: r.duration_ms,
});

export interface ScheduleState {
  lastDueAt: number;
  paused: boolean;
}

export class ScheduleRunStore {
  constructor(private readonly db: Db) {}

  state(app: string, schedule: string): ScheduleState | undefined {
    const row = this.db
      .prepare('SELECT last_due_at, paused FROM schedule_state WHERE app = ? AND schedule = ?')
      .get(app, schedule) as { last_due_at: number; paused: number } | undefined;
    return row && { lastDueAt: row.last_due_at, paused: row.paused === 1 };
  }

  /** First sight of a schedule: due times count from now on. */
  initState(app: string, schedule: string, lastDueAt: number): ScheduleState {
    this.db
      .prepare(
        `INSERT INTO schedule_state (app, schedule, last_due_at, paused, updated_at) VALUES (?, ?, ?, 0, ?)
         ON CONFLICT (app, schedule) DO NOTHING`,
      )
      .run(app, schedule, lastDueAt, new Date().toISOString());
    return this.state(app, schedule)!;
  }

  /** Pausing or resuming; a resumed schedule counts due times from `lastDueAt` (now), not from its pause. */
  setPaused(app: string, schedule: string, paused: boolean, lastDueAt: number): void {
    this.initState(app, schedule, lastDueAt);
    const now = new Date().toISOString();
    if (paused)
      this.db
        .prepare('UPDATE schedule_state SET paused = 1, updated_at = ? WHERE app = ? AND schedule = ?')
        .run(now, app, schedule);
    else
      this.db
        .prepare(
          'UPDATE schedule_state SET paused = 0, last_due_at = ?, updated_at = ? WHERE app = ? AND schedule = ? AND paused = 1',
        )
        .run(lastDueAt, now, app, schedule);
  }

  /** Schedules of the app with state, for dropping those its release no longer has. */
  stateNames(app: string): string[] {
    return (
      this.db.prepare('SELECT schedule FROM schedule_state WHERE app = ?').all(app) as { schedule: string }[]
    ).map((r) => r.schedule);
  }

  dropState(app: string, schedule: string): void {
    this.db.prepare('DELETE FROM schedule_state WHERE app = ? AND schedule = ?').run(app, schedule);
  }

  /**
   * One step's record, in one transaction: missed due times, then the run (or skip) claimed,
   * and the last due time moved on. Returns the claimed run, or undefined when its due time was
   * already taken (the step was repeated).
   */
  recordStep(
    app: string,
    schedule: string,
    step: {
      /** The schedule's own trigger ("cron" or "every"), recorded on missed due times. */
      kind: ScheduleTrigger;
      lastDueAt: number;
      missed: number[];
      claim?: { dueAt: number; trigger: ScheduleTrigger; outcome?: 'skipped'; reason?: string };
    },
  ): ScheduleRun | undefined {
    return this.db.transaction(() => {
      const now = new Date().toISOString();
      const insert = this.db.prepare(
        `INSERT OR IGNORE INTO schedule_runs (app, schedule, due_at, trigger, status, outcome, reason, claimed_at, finished_at, attempt)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
      );
      for (const dueAt of step.missed) {
        insert.run(app, schedule, dueAt, step.kind, 'finished', 'missed', MISSED_REASON, now, now);
      }
      let run: ScheduleRun | undefined;
      const claim = step.claim;
      if (claim) {
        const done = claim.outcome === 'skipped';
        const info = insert.run(
          app,
          schedule,
          claim.dueAt,
          claim.trigger,
          done ? 'finished' : 'claimed',
          claim.outcome ?? null,
          claim.reason ?? null,
          now,
          done ? now : null,
        );
        if (info.changes === 1) run = this.get(Number(info.lastInsertRowid));
      }
      this.db
        .prepare('UPDATE schedule_state SET last_due_at = ?, updated_at = ? WHERE app = ? AND schedule = ?')
        .run(step.lastDueAt, now, app, schedule);
      return run;
    })();
  }

  /** A manual run (`schedules run`), claimed like any other. */
  claimManual(app: string, schedule: string, at: number): ScheduleRun {
    const id = this.db
      .prepare(
        `INSERT INTO schedule_runs (app, schedule, due_at, trigger, status, claimed_at, attempt)
         VALUES (?, ?, ?, 'manual', 'claimed', ?, 0)`,
      )
      .run(app, schedule, at, new Date().toISOString()).lastInsertRowid;
    return this.get(Number(id))!;
  }

  /** Its machine is about to start: the name it will have is derived from run id and attempt. */
  markStarting(id: number, releaseVersion: number, attempt: number): void {
    this.db
      .prepare(
        `UPDATE schedule_runs SET status = 'running', release_version = ?, attempt = ?, machine_id = NULL,
           started_at = COALESCE(started_at, ?) WHERE id = ?`,
      )
      .run(releaseVersion, attempt, new Date().toISOString(), id);
  }

  setMachine(id: number, machineId: string): void {
    this.db.prepare('UPDATE schedule_runs SET machine_id = ? WHERE id = ?').run(machineId, id);
  }

  finish(
    id: number,
    result: { outcome: RunOutcome; exitCode: number | null; reason: string | null; logTail: string | null },
  ): ScheduleRun {
    const run = this.get(id)!;
    const finishedAt = new Date();
    const durationMs = run.startedAt ? finishedAt.getTime() - Date.parse(run.startedAt) : null;
    this.db
      .prepare(
        `UPDATE schedule_runs SET status = 'finished', outcome = ?, exit_code = ?, reason = ?, log_tail = ?,
           finished_at = ?, duration_ms = ? WHERE id = ?`,
      )
      .run(
        result.outcome,
        result.exitCode,
        result.reason,
        result.logTail,
        finishedAt.toISOString(),
        durationMs,
        id,
      );
    return this.get(id)!;
  }

  get(id: number): ScheduleRun | undefined {
    const row = this.db.prepare('SELECT * FROM schedule_runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Newest first. */
  history(app: string, schedule: string, limit: number): ScheduleRun[] {
    return (
      this.db
        .prepare('SELECT * FROM schedule_runs WHERE app = ? AND schedule = ? ORDER BY id DESC LIMIT ?')
        .all(app, schedule, limit) as RunRow[]
    ).map(toRun);
  }

  /** The latest run that ran or was skipped (missed ones are not a "last result"). */
  last(app: string, schedule: string): ScheduleRun | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM schedule_runs WHERE app = ? AND schedule = ? AND (outcome IS NULL OR outcome != 'missed')
         ORDER BY id DESC LIMIT 1`,
      )
      .get(app, schedule) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Runs claimed or running: a restarted daemon finishes or watches them. */
  unfinished(): ScheduleRun[] {
    return (
      this.db.prepare("SELECT * FROM schedule_runs WHERE status != 'finished' ORDER BY id").all() as RunRow[]
    ).map(toRun);
  }

  countUnfinished(app: string, schedule: string): number {
    return (
      this.db
        .prepare(
          "SELECT COUNT(*) AS n FROM schedule_runs WHERE app = ? AND schedule = ? AND status != 'finished'",
        )
        .get(app, schedule) as { n: number }
    ).n;
  }
}
