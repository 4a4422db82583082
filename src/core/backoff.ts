// How long the supervisor waits before restarting a machine that keeps exiting: doubling from
// a base up to a cap, and starting over once a machine has stayed up long enough to count as
// healthy again. Pure, so the daemon and its tests agree on the numbers.

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

/**
 * Delay before restart number `attempt` (0 for the first restart after a crash):
 * baseMs, 2*baseMs, 4*baseMs, ... never above maxMs. Nonsense attempts count as 0.
 */
export function restartDelayMs(
  attempt: number,
  { baseMs = 500, maxMs = 30_000 }: BackoffOptions = {},
): number {
  const base = Math.max(0, baseMs);
  const max = Math.max(0, maxMs);
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2**n overflows to Infinity for large n, and 0 * Infinity is NaN; the cap is reached long
  // before 2**52 anyway.
  const delay = base * 2 ** Math.min(n, 52);
  return Math.min(delay, max);
}

/** A machine that ran at least stableMs before exiting restarts with the backoff reset. */
export function shouldResetBackoff(uptimeMs: number, stableMs = 10_000): boolean {
  return uptimeMs >= stableMs;
}
