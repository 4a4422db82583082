// Turning what the probes saw into a machine's health: healthy (may take traffic), pending
// (keep waiting), or unhealthy (give up). Pure, so the deploy's wait and its tests agree.
//
// Three things make a machine unhealthy: it exited, a check failed max_unhealthy_checks times in
// a row after its grace period, or the caller's deadline (the deploy's wait_timeout) passed
// without it becoming healthy. A few failures are just "not yet": apps often answer 503 while
// they warm up, and their grace_period says how long that lasts.

import type { CheckConfig } from '../config/types.js';
import { tooManyFailures } from './unhealthy-streak.js';

export type HealthState = 'pending' | 'healthy' | 'unhealthy';

/** One probe's outcome, stamped with when it finished (epoch ms). */
export interface ProbeResult {
  ok: boolean;
  detail: string;
  at: number;
}

export interface HealthInput {
  checks: readonly CheckConfig[];
  /** The latest result of each check, index-aligned with `checks`; undefined before the first. */
  latest: readonly (ProbeResult | undefined)[];
  /** When the machine started (epoch ms); grace periods and settling count from here. */
  startedAt: number;
  now: number;
  /** Without checks, how long a machine must have been up before it counts as healthy. */
  settleMs: number;
  /**
   * Used only without checks: whether the machine has accepted a connection on its address
   * (once is enough), or null when it has no port to listen on.
   */
  listening: boolean | null;
  /** The machine exited while being waited on. */
  exited?: boolean;
  /** When to give up (epoch ms); absent means wait forever. */
  deadline?: number;
  /** Each check's failures in a row after its grace period, index-aligned with `checks`. */
  failureStreaks?: readonly number[];
  /** A streak this long makes the machine unhealthy at once; absent: only the deadline does. */
  maxUnhealthyChecks?: number;
}

/** Why a machine was given up on. */
export type UnhealthyCause = 'exited' | 'failing' | 'deadline';

export type HealthVerdict =
  | { state: 'healthy' }
  /** `waitingFor` says what is missing, for progress lines and the timeout message. */
  | { state: 'pending'; waitingFor: string }
  | { state: 'unhealthy'; reason: string; cause: UnhealthyCause };

export function healthVerdict(input: HealthInput): HealthVerdict {
  if (input.exited) return { state: 'unhealthy', reason: 'the machine exited', cause: 'exited' };
  const failing = failedTooOften(input);
  if (failing !== undefined) return { state: 'unhealthy', reason: failing, cause: 'failing' };
  const missing = input.checks.length > 0 ? failingCheck(input) : notSettled(input);
  if (missing === undefined) return { state: 'healthy' };
  if (input.deadline !== undefined && input.now >= input.deadline) {
    return { state: 'unhealthy', reason: missing, cause: 'deadline' };
  }
  return { state: 'pending', waitingFor: missing };
}

/** The first check whose failures in a row reached the limit, said with its last result. */
function failedTooOften(input: HealthInput): string | undefined {
  const max = input.maxUnhealthyChecks;
  if (max === undefined || !input.failureStreaks) return undefined;
  for (const [i, check] of input.checks.entries()) {
    const streak = input.failureStreaks[i] ?? 0;
    if (!tooManyFailures(streak, max)) continue;
    const last = input.latest[i];
    return `check "${check.name}" (${checkLabel(check)}) failed ${streak} times in a row after its grace period${last ? `: ${last.detail}` : ''}`;
  }
  return undefined;
}

/** "GET /healthz" for an HTTP check, "tcp :8080" for a TCP one. */
export function checkLabel(check: CheckConfig): string {
  return check.type === 'http' ? `${check.method} ${check.path}` : `tcp :${check.port}`;
}

/**
 * Why the checks do not all pass yet, or undefined when they do. A check counts once its
 * latest result passed and was taken after its grace period: a result from before then is
 * ignored, as the app may not have been ready to answer truthfully.
 */
function failingCheck(input: HealthInput): string | undefined {
  for (const [i, check] of input.checks.entries()) {
    const name = `check "${check.name}" (${checkLabel(check)})`;
    const graceEnds = input.startedAt + check.gracePeriodMs;
    const result = input.latest[i];
    if (!result || result.at < graceEnds) {
      return input.now < graceEnds
        ? `${name}: in its grace period (${formatMs(check.gracePeriodMs)})`
        : `${name}: no result yet`;
    }
    if (!result.ok) return `${name}: ${result.detail}`;
  }
  return undefined;
}

function notSettled(input: HealthInput): string | undefined {
  if (input.listening === false) return 'not listening on its port yet';
  const upMs = input.now - input.startedAt;
  if (upMs < input.settleMs)
    return `up for ${formatMs(Math.max(0, upMs))}, settling for ${formatMs(input.settleMs)}`;
  return undefined;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
