// One scheduler step for one schedule, decided from (schedule, what the store says, now):
// which due times passed since the last one considered, which of them runs, which are
// recorded as missed or skipped. The daemon claims the run in the store before it starts it,
// so a step repeated after a crash finds its due time taken and does nothing twice.
import type { ScheduleConfig } from '../config/types.js';
import { catchUpWindowMs, dueTimesBetween } from './timing.js';

export type ScheduleTrigger = 'cron' | 'every' | 'manual' | 'catch-up';
export type RunOutcome = 'ok' | 'failed' | 'timeout' | 'skipped' | 'missed' | 'unknown';

/** Missed due times recorded one row each, newest first kept; the rest are only counted. */
export const MAX_MISSED_ROWS = 100;

export interface StepInput {
  schedule: ScheduleConfig;
  /** The last due time run, skipped or recorded missed (or when the schedule was first seen). */
  lastDueAt: number;
  now: number;
  /** When this daemon started: a run due before it was due while no daemon ran. */
  startedAt: number;
  /** Runs of this schedule in flight. */
  running: number;
}

export interface StepPlan {
  /** Due times that passed beyond the catch-up window (or before the one that runs). */
  missed: number[];
  /** How many were missed in all (more than `missed` holds when many were). */
  missedCount: number;
  /** The due time to run now, and why. */
  run?: { dueAt: number; trigger: ScheduleTrigger };
  /** A due time not run because the last run is still going (overlap = "skip"). */
  skipped?: { dueAt: number; trigger: ScheduleTrigger };
  /** The new last due time considered; unchanged when nothing came due. */
  lastDueAt: number;
}

export function planStep(input: StepInput): StepPlan {
  const { schedule, now } = input;
  const due = dueTimesBetween(schedule, input.lastDueAt, now, MAX_MISSED_ROWS + 1);
  const latest = due.times.at(-1);
  if (latest === undefined) return { missed: [], missedCount: 0, lastDueAt: input.lastDueAt };
  const older = due.times.slice(0, -1);
  const olderCount = due.total - 1;
  if (now - latest > catchUpWindowMs(schedule, latest)) {
    return { missed: due.times.slice(-MAX_MISSED_ROWS), missedCount: due.total, lastDueAt: latest };
  }
  const kind: ScheduleTrigger = schedule.cron !== undefined ? 'cron' : 'every';
  // A daemon that came up just before a due time: the last one due while no daemon ran is
  // caught up first (the newer one runs at the next step), not lost to the newer one.
  const downTimes = due.times.filter((t) => t < input.startedAt);
  const lastDown = downTimes.at(-1);
  if (
    lastDown !== undefined &&
    lastDown !== latest &&
    now - lastDown <= catchUpWindowMs(schedule, lastDown)
  ) {
    const plan: StepPlan = {
      missed: downTimes.slice(0, -1),
      missedCount: due.total - (due.times.length - downTimes.length) - 1,
      lastDueAt: lastDown,
    };
    if (input.running > 0 && schedule.overlap === 'skip')
      plan.skipped = { dueAt: lastDown, trigger: 'catch-up' };
    else plan.run = { dueAt: lastDown, trigger: 'catch-up' };
    return plan;
  }
  const trigger: ScheduleTrigger = latest < input.startedAt ? 'catch-up' : kind;
  const plan: StepPlan = { missed: older, missedCount: olderCount, lastDueAt: latest };
  if (input.running > 0 && schedule.overlap === 'skip') plan.skipped = { dueAt: latest, trigger };
  else plan.run = { dueAt: latest, trigger };
  return plan;
}
