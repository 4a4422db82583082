// What each release has used: machine-seconds run, requests served, schedule runs. A machine's
// run is added when it ends (stop, crash, destroy) or its machine restarts; a run still going
// is counted up to now when read, so the figure survives daemon restarts without a timer.
import type { Db } from './database.js';

export interface ReleaseUsage {
  app: string;
  releaseVersion: number;
  machineSeconds: number;
  requests: number;
  scheduleRuns: number;
}

interface UsageRow {
  app: string;
  release_version: number;
  machine_seconds: number;
  requests: number;
  schedule_runs: number;
}

export class UsageStore {
  constructor(private readonly db: Db) {}

  /**
   * Adds a machine's run since its `usage_from` up to `now` to its release, then starts its
   * next run at `now` (`running`) or ends it. A machine not running adds nothing.
   */
  accrueMachine(id: string, now: Date, running: boolean): void {
    this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT app, release_version, usage_from FROM machines WHERE id = ?')
        .get(id) as { app: string; release_version: number; usage_from: string | null } | undefined;
      if (row === undefined) return;
      if (row.usage_from !== null) {
        const seconds = Math.max(0, (now.getTime() - Date.parse(row.usage_from)) / 1000);
        this.add(row.app, row.release_version, { machineSeconds: seconds });
      }
      this.db
        .prepare('UPDATE machines SET usage_from = ? WHERE id = ?')
        .run(running ? now.toISOString() : null, id);
    })();
  }

  /** Adds requests served to releases (the daemon's proxy counters, flushed every tick). */
  addRequests(counts: readonly { app: string; releaseVersion: number; requests: number }[]): void {
    this.db.transaction(() => {
      for (const c of counts) {
        if (c.requests > 0) this.add(c.app, c.releaseVersion, { requests: c.requests });
      }
    })();
  }

  /** One schedule run of a release that ran a machine (the scheduler reports each). */
  addScheduleRun(app: string, releaseVersion: number): void {
    this.add(app, releaseVersion, { scheduleRuns: 1 });
  }

  /** The app's usage per release, runs still going counted up to `now`; oldest release first. */
  forApp(app: string, now: Date): ReleaseUsage[] {
    const byRelease = new Map<number, ReleaseUsage>();
    const rows = this.db
      .prepare('SELECT * FROM release_usage WHERE app = ? ORDER BY release_version')
      .all(app) as UsageRow[];
    for (const r of rows) {
      byRelease.set(r.release_version, {
        app: r.app,
        releaseVersion: r.release_version,
        machineSeconds: r.machine_seconds,
        requests: r.requests,
        scheduleRuns: r.schedule_runs,
      });
    }
    const open = this.db
      .prepare('SELECT release_version, usage_from FROM machines WHERE app = ? AND usage_from IS NOT NULL')
      .all(app) as { release_version: number; usage_from: string }[];
    for (const m of open) {
      let usage = byRelease.get(m.release_version);
      if (usage === undefined) {
        usage = { app, releaseVersion: m.release_version, machineSeconds: 0, requests: 0, scheduleRuns: 0 };
        byRelease.set(m.release_version, usage);
      }
      usage.machineSeconds += Math.max(0, (now.getTime() - Date.parse(m.usage_from)) / 1000);
    }
    return [...byRelease.values()].sort((a, b) => a.releaseVersion - b.releaseVersion);
  }

  private add(
    app: string,
    releaseVersion: number,
    delta: { machineSeconds?: number; requests?: number; scheduleRuns?: number },
  ): void {
    // A release of an app destroyed meanwhile has nowhere to go: the row would break its key.
    if (this.db.prepare('SELECT 1 FROM apps WHERE name = ?').get(app) === undefined) return;
    this.db
      .prepare(
        `INSERT INTO release_usage (app, release_version, machine_seconds, requests, schedule_runs)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (app, release_version) DO UPDATE SET
           machine_seconds = machine_seconds + excluded.machine_seconds,
           requests = requests + excluded.requests,
           schedule_runs = schedule_runs + excluded.schedule_runs`,
      )
      .run(app, releaseVersion, delta.machineSeconds ?? 0, delta.requests ?? 0, delta.scheduleRuns ?? 0);
  }
}
