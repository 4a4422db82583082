// Counters of daemon events that are not in the database: wakes of scaled-to-zero apps, and
// schedule runs (the scheduler reports each finished run through recordScheduleRun).
// Kept per app and release in memory; metrics read them.
import { FixedHistogram } from '../../core/metrics/fixed-histogram.js';

export interface WakeCount {
  app: string;
  release: number;
  outcome: 'woken' | 'failed';
  /** Seconds from the request that found no machine to the machine taking traffic (or failing). */
  seconds: FixedHistogram;
}

export interface ScheduleRunCount {
  app: string;
  release: number;
  schedule: string;
  /** "succeeded", "failed", "timed_out", "missed", "skipped"… as schedules name them. */
  outcome: string;
  seconds: FixedHistogram;
}

export class EventCounters {
  readonly wakes = new Map<string, WakeCount>();
  readonly scheduleRuns = new Map<string, ScheduleRunCount>();

  recordWake(app: string, release: number, woken: boolean, seconds: number): void {
    const outcome = woken ? 'woken' : 'failed';
    const key = `${app}\u0000${release}\u0000${outcome}`;
    let count = this.wakes.get(key);
    if (count === undefined) {
      count = { app, release, outcome, seconds: new FixedHistogram() };
      this.wakes.set(key, count);
    }
    count.seconds.observe(seconds);
  }

  /** One run of a schedule: its outcome and how long it took. */
  recordScheduleRun(app: string, release: number, schedule: string, outcome: string, seconds: number): void {
    const key = `${app}\u0000${release}\u0000${schedule}\u0000${outcome}`;
    let count = this.scheduleRuns.get(key);
    if (count === undefined) {
      count = { app, release, schedule, outcome, seconds: new FixedHistogram() };
      this.scheduleRuns.set(key, count);
    }
    count.seconds.observe(seconds);
  }
}
