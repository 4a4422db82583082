// Runs the [schedules.NAME] of every app's current release. Each step observes the store,
// plans with core/schedules/plan.ts, records the plan (claiming the run) in one transaction,
// then starts the claimed run: a daemon killed at any point finds either no claim (the due
// time is planned again) or a claim it finishes, never one it starts twice.
import { withScheduleDefaults } from '../../core/config/schedules.js';
import type { ScheduleConfig } from '../../core/config/types.js';
import { BerthError } from '../../core/errors.js';
import type { Release } from '../../core/model.js';
import { planStep, type ScheduleTrigger } from '../../core/schedules/plan.js';
import { catchUpWindowMs, nextDue } from '../../core/schedules/timing.js';
import type { ScheduleRun } from '../../store/schedule-runs.js';
import { sleep } from '../readiness.js';
import {
  launchRunMachine,
  removeRunMachine,
  runMachineName,
  watchRun,
  type RunMachineDeps,
  type RunResult,
} from './run-machine.js';

const TICK_MS = 250;
const MAX_RETRY_DELAY_MS = 60_000;

export interface SchedulerDeps extends RunMachineDeps {
  log: (line: string) => void;
}

export interface ScheduleView {
  schedule: ScheduleConfig;
  paused: boolean;
  nextRunAt: string | null;
  lastRun: ScheduleRun | null;
  running: number;
}

/** What a finished run reports to listeners (metrics count these). */
export type RunFinishedListener = (run: ScheduleRun) => void;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private readonly listeners: RunFinishedListener[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  private get store() {
    return this.deps.store;
  }

  /** Called with every run that reaches an outcome (ok, failed, timeout, skipped, missed, unknown). */
  onRunFinished(listener: RunFinishedListener): void {
    this.listeners.push(listener);
  }

  /** Finishes the runs an earlier daemon left, then steps every TICK_MS. */
  start(): void {
    for (const run of this.store.scheduleRuns.unfinished()) this.track(this.resume(run));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Stops planning; runs in flight keep their machines for the next daemon to watch. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  list(app: string): ScheduleView[] {
    const now = Date.now();
    return this.schedulesOf(app).map((schedule) => {
      const state = this.store.scheduleRuns.state(app, schedule.name);
      const paused = state?.paused ?? false;
      const next = paused ? undefined : nextDue(schedule, Math.max(now, state?.lastDueAt ?? now));
      return {
        schedule,
        paused,
        nextRunAt: next === undefined ? null : new Date(next).toISOString(),
        lastRun: this.store.scheduleRuns.last(app, schedule.name) ?? null,
        running: this.store.scheduleRuns.countUnfinished(app, schedule.name),
      };
    });
  }

  /** `schedules run NAME`: now, once, on the current release, whatever its cron says. */
  runNow(app: string, name: string, user: string): ScheduleRun {
    const schedule = this.find(app, name);
    const run = this.store.scheduleRuns.claimManual(app, schedule.name, Date.now());
    this.store.events.append({
      app,
      kind: 'schedule.triggered',
      message: `schedule ${name}: run #${run.id} started by hand by ${user}`,
      data: { schedule: name, runId: run.id, user },
    });
    this.track(this.execute(run, schedule, 1));
    return run;
  }

  setPaused(app: string, name: string, paused: boolean, user: string): ScheduleView {
    this.find(app, name);
    this.store.scheduleRuns.setPaused(app, name, paused, Date.now());
    this.store.events.append({
      app,
      kind: paused ? 'schedule.paused' : 'schedule.resumed',
      message: paused
        ? `schedule ${name} paused by ${user}: no runs until it is resumed`
        : `schedule ${name} resumed by ${user}: due times from now on run`,
      data: { schedule: name, user },
    });
    return this.list(app).find((v) => v.schedule.name === name)!;
  }

  history(app: string, name: string, limit: number): ScheduleRun[] {
    this.find(app, name, { allowGone: true });
    return this.store.scheduleRuns.history(app, name, limit);
  }

  /** Waits for the runs in flight (tests and shutdown use it). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private find(app: string, name: string, options: { allowGone?: boolean } = {}): ScheduleConfig {
    const schedule = this.schedulesOf(app).find((s) => s.name === name);
    if (schedule) return schedule;
    if (options.allowGone && this.store.scheduleRuns.history(app, name, 1).length > 0) {
      return withScheduleDefaults({ name, command: '' });
    }
    throw new BerthError(
      'schedule_not_found',
      `app "${app}" has no schedule "${name}" in its current release`,
    );
  }

  private currentRelease(app: string): Release | undefined {
    const version = this.store.apps.get(app)?.currentRelease;
    return version === null || version === undefined ? undefined : this.store.releases.get(app, version);
  }

  private schedulesOf(app: string): ScheduleConfig[] {
    return (this.currentRelease(app)?.config.schedules ?? []).map(withScheduleDefaults);
  }

  private tick(): void {
    if (this.stopped) return;
    for (const app of this.store.apps.list()) {
      if (app.currentRelease === null) continue;
      try {
        this.stepApp(app.name);
      } catch (err) {
        this.deps.log(`schedules of ${app.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private stepApp(app: string): void {
    const schedules = this.schedulesOf(app);
    const names = new Set(schedules.map((s) => s.name));
    // A schedule the current release no longer has starts afresh if a later one brings it back.
    for (const name of this.store.scheduleRuns.stateNames(app)) {
      if (!names.has(name)) this.store.scheduleRuns.dropState(app, name);
    }
    const now = Date.now();
    for (const schedule of schedules) {
      const state =
        this.store.scheduleRuns.state(app, schedule.name) ??
        this.store.scheduleRuns.initState(app, schedule.name, now);
      if (state.paused) continue;
      const plan = planStep({
        schedule,
        lastDueAt: state.lastDueAt,
        now,
        startedAt: this.startedAt,
        running: this.store.scheduleRuns.countUnfinished(app, schedule.name),
      });
      if (plan.lastDueAt === state.lastDueAt) continue;
      const kind: ScheduleTrigger = schedule.cron !== undefined ? 'cron' : 'every';
      const claim = plan.run ?? plan.skipped;
      const run = this.store.scheduleRuns.recordStep(app, schedule.name, {
        kind,
        lastDueAt: plan.lastDueAt,
        missed: plan.missed,
        ...(claim && {
          claim: {
            ...claim,
            ...(plan.skipped && {
              outcome: 'skipped' as const,
              reason: 'the last run was still going (overlap = "skip")',
            }),
          },
        }),
      });
      if (plan.missedCount > 0) this.reportMissed(app, schedule, plan.missed, plan.missedCount);
      if (!run) continue;
      if (plan.skipped) {
        this.store.events.append({
          app,
          kind: 'schedule.skipped',
          message: `schedule ${schedule.name}: the run due ${run.dueAt} was skipped, the last one is still going (overlap = "skip")`,
          data: { schedule: schedule.name, runId: run.id, dueAt: run.dueAt },
        });
        this.finished(run);
        continue;
      }
      if (run.trigger === 'catch-up') {
        const message = `schedule ${schedule.name}: the run due ${run.dueAt}, while the daemon was not running, runs now (within the catch-up window)`;
        this.deps.log(`${app}: ${message}`);
        this.store.events.append({
          app,
          kind: 'schedule.catch_up',
          message,
          data: { schedule: schedule.name, runId: run.id, dueAt: run.dueAt },
        });
      }
      this.track(this.execute(run, schedule, 1));
    }
  }

  private reportMissed(app: string, schedule: ScheduleConfig, recorded: number[], count: number): void {
    const newest = recorded.at(-1);
    const message =
      `schedule ${schedule.name}: ${count} run(s) due while the daemon was not running (or too late) were missed` +
      (newest !== undefined ? `, the last due ${new Date(newest).toISOString()}` : '') +
      '; they are past the catch-up window and do not run';
    this.deps.log(`${app}: ${message}`);
    this.store.events.append({
      app,
      kind: 'schedule.missed',
      message,
      data: { schedule: schedule.name, count, recorded: recorded.length },
    });
    for (const run of this.store.scheduleRuns.history(app, schedule.name, recorded.length)) {
      if (run.outcome === 'missed') this.finished(run);
    }
  }

  /** A run that an earlier daemon claimed or started. */
  private async resume(run: ScheduleRun): Promise<void> {
    const schedule =
      this.schedulesOf(run.app).find((s) => s.name === run.schedule) ??
      withScheduleDefaults({ name: run.schedule, command: '' });
    const machine =
      run.status === 'running'
        ? this.store.machines.findByName(run.app, runMachineName(run.id, run.attempt))
        : undefined;
    if (machine?.handle) {
      this.store.scheduleRuns.setMachine(run.id, machine.id);
      this.store.events.append({
        app: run.app,
        machineId: machine.id,
        kind: 'schedule.adopted',
        message: `schedule ${run.schedule}: run #${run.id}, started before the daemon restarted, is watched to its end`,
        data: { schedule: run.schedule, runId: run.id },
      });
      const deadline = Date.parse(run.startedAt ?? run.claimedAt) + schedule.timeoutMs;
      const result = await watchRun(this.deps, machine.id, deadline, { adopted: true });
      await this.afterAttempt(run, schedule, result, machine.id);
      return;
    }
    if (run.machineId !== null) {
      this.finish(run, {
        outcome: 'failed',
        exitCode: null,
        reason: 'its machine was gone when the daemon restarted',
        logTail: '',
      });
      return;
    }
    // Claimed, but its machine never started: it runs now if it is not too late.
    const late = Date.now() - Date.parse(run.dueAt);
    if (
      run.trigger !== 'manual' &&
      schedule.command !== '' &&
      late > catchUpWindowMs(schedule, Date.parse(run.dueAt))
    ) {
      this.finish(run, {
        outcome: 'missed',
        exitCode: null,
        reason: 'claimed before the daemon stopped, and past the catch-up window when it restarted',
        logTail: '',
      });
      return;
    }
    if (schedule.command === '') {
      this.finish(run, {
        outcome: 'missed',
        exitCode: null,
        reason: 'the schedule is gone from the current release',
        logTail: '',
      });
      return;
    }
    await this.execute(run, schedule, Math.max(run.attempt, 1));
  }

  /** Runs attempt `attempt` (and the retries after it) of a claimed run. */
  private async execute(run: ScheduleRun, schedule: ScheduleConfig, attempt: number): Promise<void> {
    const release =
      (run.releaseVersion !== null && this.store.releases.get(run.app, run.releaseVersion)) ||
      this.currentRelease(run.app);
    if (!release) {
      this.finish(run, {
        outcome: 'failed',
        exitCode: null,
        reason: 'the app has no release to run',
        logTail: '',
      });
      return;
    }
    this.store.scheduleRuns.markStarting(run.id, release.version, attempt);
    let machineId: string | undefined;
    let result: RunResult;
    try {
      const machine = await launchRunMachine(
        this.deps,
        release,
        schedule.command,
        {
          BERTH_SCHEDULE: schedule.name,
          BERTH_SCHEDULE_RUN: String(run.id),
          BERTH_SCHEDULE_DUE: run.dueAt,
          BERTH_SCHEDULE_TRIGGER: run.trigger,
          BERTH_SCHEDULE_ATTEMPT: String(attempt),
        },
        runMachineName(run.id, attempt),
      );
      machineId = machine.id;
      this.store.scheduleRuns.setMachine(run.id, machine.id);
      result = await watchRun(this.deps, machine.id, Date.now() + schedule.timeoutMs, { adopted: false });
    } catch (err) {
      result = {
        outcome: 'failed',
        exitCode: null,
        reason: `its machine could not start: ${err instanceof Error ? err.message : String(err)}`,
        logTail: '',
      };
    }
    await this.afterAttempt(
      { ...run, attempt, releaseVersion: release.version },
      schedule,
      result,
      machineId,
    );
  }

  private async afterAttempt(
    run: ScheduleRun,
    schedule: ScheduleConfig,
    result: RunResult,
    machineId: string | undefined,
  ): Promise<void> {
    const retry =
      (result.outcome === 'failed' || result.outcome === 'timeout') && run.attempt <= schedule.retries;
    if (!retry) {
      // Recorded before the machine goes: a restart in between finds a finished run.
      this.finish(run, result);
      if (machineId) await removeRunMachine(this.deps, machineId).catch(() => {});
      return;
    }
    if (machineId) await removeRunMachine(this.deps, machineId).catch(() => {});
    const delay = Math.min(1000 * 2 ** (run.attempt - 1), MAX_RETRY_DELAY_MS);
    this.store.events.append({
      app: run.app,
      releaseVersion: run.releaseVersion,
      kind: 'schedule.retry',
      message: `schedule ${run.schedule}: run #${run.id} attempt ${run.attempt} ${result.outcome === 'timeout' ? 'timed out' : 'failed'} (${result.reason}); retrying in ${delay} ms`,
      data: { schedule: run.schedule, runId: run.id, attempt: run.attempt },
    });
    await sleep(delay);
    if (this.stopped) return;
    await this.execute({ ...run }, schedule, run.attempt + 1);
  }

  private finish(
    run: ScheduleRun,
    result: Omit<RunResult, 'outcome'> & { outcome: RunResult['outcome'] | 'missed' },
  ): void {
    const done = this.store.scheduleRuns.finish(run.id, {
      outcome: result.outcome,
      exitCode: result.exitCode,
      reason: result.reason,
      logTail: result.logTail || null,
    });
    const failed = done.outcome === 'failed' || done.outcome === 'timeout';
    const how =
      done.outcome === 'ok'
        ? 'succeeded'
        : done.outcome === 'timeout'
          ? 'timed out'
          : `${done.outcome === 'missed' ? 'was missed' : done.outcome === 'unknown' ? 'ended' : 'failed'}${done.reason ? `: ${done.reason}` : ''}`;
    this.store.events.append({
      app: run.app,
      releaseVersion: done.releaseVersion,
      machineId: done.machineId,
      kind: failed ? 'schedule.failed' : done.outcome === 'missed' ? 'schedule.missed' : 'schedule.run',
      message: `schedule ${run.schedule}: run #${run.id} (${done.trigger}, due ${done.dueAt}) ${how}${done.durationMs !== null ? ` after ${done.durationMs} ms` : ''}${done.attempt > 1 ? ` (attempt ${done.attempt})` : ''}`,
      data: {
        schedule: run.schedule,
        runId: run.id,
        outcome: done.outcome,
        exitCode: done.exitCode,
        trigger: done.trigger,
        durationMs: done.durationMs,
      },
    });
    this.finished(done);
  }

  private finished(run: ScheduleRun): void {
    for (const listener of this.listeners) {
      try {
        listener(run);
      } catch {
        // A listener's failure is no run's failure.
      }
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) =>
        this.deps.log(`schedule run: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
