// When a schedule is due. `every` is aligned to multiples of its interval since the epoch, so
// a restarted daemon (or a new release) finds the same due times the last one had; `cron`
// matches wall-clock times in its time zone (see cron.ts for DST).
import type { ScheduleConfig } from '../config/types.js';
import { nextCronTime } from './cron.js';

export type ScheduleTiming = Pick<ScheduleConfig, 'cron' | 'timezone' | 'everyMs'>;

/** A floor under the default catch-up window: a tick a little late is no missed run. */
export const MIN_CATCH_UP_MS = 5_000;

/** The first due time strictly after `afterMs`; undefined for a cron that never matches again. */
export function nextDue(t: ScheduleTiming, afterMs: number): number | undefined {
  if (t.everyMs !== undefined) return (Math.floor(afterMs / t.everyMs) + 1) * t.everyMs;
  if (t.cron !== undefined) return nextCronTime(t.cron, t.timezone, afterMs);
  return undefined;
}

/**
 * Due times in (afterMs, untilMs], oldest first, at most `limit` of the newest; `total` counts
 * them all (for a cron, up to `limit` * 10 scanned, then it says so with `capped`).
 */
export function dueTimesBetween(
  t: ScheduleTiming,
  afterMs: number,
  untilMs: number,
  limit: number,
): { times: number[]; total: number; capped: boolean } {
  if (t.everyMs !== undefined) {
    const every = t.everyMs;
    const last = Math.floor(untilMs / every) * every;
    const first = (Math.floor(afterMs / every) + 1) * every;
    if (last < first) return { times: [], total: 0, capped: false };
    const total = (last - first) / every + 1;
    const times: number[] = [];
    for (let at = Math.max(first, last - (limit - 1) * every); at <= last; at += every) times.push(at);
    return { times, total, capped: false };
  }
  const times: number[] = [];
  let total = 0;
  let at = nextDue(t, afterMs);
  while (at !== undefined && at <= untilMs && total < limit * 10) {
    total++;
    times.push(at);
    if (times.length > limit) times.shift();
    at = nextDue(t, at);
  }
  return { times, total, capped: at !== undefined && at <= untilMs };
}

/** The catch-up window: the configured one, else one interval (the gap after `dueAt`). */
export function catchUpWindowMs(
  s: ScheduleTiming & Pick<ScheduleConfig, 'catchUpMs'>,
  dueAt: number,
): number {
  if (s.catchUpMs !== undefined) return s.catchUpMs;
  const interval = s.everyMs ?? (nextDue(s, dueAt) ?? dueAt) - dueAt;
  return Math.max(interval, MIN_CATCH_UP_MS);
}
