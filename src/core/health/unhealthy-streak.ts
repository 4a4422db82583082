// Counting a check's failures in a row, so that a machine whose check keeps failing after its
// grace period fails its batch then ([deploy] max_unhealthy_checks), not at wait_timeout. An
// app answering 500 on every check is not warming up: waiting five minutes tells nobody more.
import type { ProbeResult } from './verdict.js';

export const DEFAULT_MAX_UNHEALTHY_CHECKS = 10;

/** The config's max_unhealthy_checks; releases stored before the key existed get the default. */
export function maxUnhealthyChecksOf(deploy: { maxUnhealthyChecks?: number }): number {
  return deploy.maxUnhealthyChecks ?? DEFAULT_MAX_UNHEALTHY_CHECKS;
}

/**
 * The streak after one more result: a pass ends it, a failure taken before the check's grace
 * period ended does not count (the app may still be booting), any other failure adds one.
 */
export function nextFailureStreak(streak: number, result: ProbeResult, graceEndsAt: number): number {
  if (result.ok) return 0;
  if (result.at < graceEndsAt) return streak;
  return streak + 1;
}

/** Whether a streak is long enough to give up on the machine. */
export function tooManyFailures(streak: number, max: number): boolean {
  return streak >= max;
}
