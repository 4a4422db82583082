// Which events become notifications, and what a delivery carries. The payload names the app,
// the kind, the release and machine, an exit code and a log tail where there is one, and the
// command that shows the details; never a secret value (log tails are redacted before this).
import type { BerthEvent } from '../model.js';
import { restartDelayMs } from '../backoff.js';
import type { NotifyKind } from './kinds.js';

/** A machine's restart attempt at which it counts as crash-looping (told once per streak). */
export const CRASH_LOOP_ATTEMPT = 3;
/** Attempts per delivery before it is given up. */
export const MAX_DELIVERY_ATTEMPTS = 8;

export interface Notification {
  kind: NotifyKind;
  app: string;
  message: string;
  release: number | null;
  machine: string | null;
  exitCode: number | null;
  /** The schedule run, for schedule.failed. */
  schedule?: { name: string; runId: number };
  /** Where the details are: a berth command. */
  details: string;
}

export interface Payload extends Notification {
  /** The event it reports. */
  eventId: number;
  at: string;
  logTail: string | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function notificationFor(event: BerthEvent): Notification | undefined {
  const app = event.app;
  if (!app) return undefined;
  const base = { app, message: event.message, release: event.releaseVersion, machine: event.machineId };
  const data = event.data ?? {};
  switch (event.kind) {
    case 'schedule.failed': {
      const name = String(data.schedule);
      const runId = num(data.runId) ?? 0;
      return {
        ...base,
        kind: 'schedule.failed',
        exitCode: num(data.exitCode),
        schedule: { name, runId },
        details: `berth schedules history ${name} -a ${app} --run ${runId}`,
      };
    }
    case 'release.failed':
      return {
        ...base,
        kind: data.status === 'reverted' ? 'deploy.reverted' : 'deploy.failed',
        exitCode: null,
        details: `berth releases -a ${app}`,
      };
    case 'machine.exited':
      if (data.attempt !== CRASH_LOOP_ATTEMPT) return undefined;
      return {
        ...base,
        kind: 'machine.crash_loop',
        exitCode: exitCodeOf(data.exit),
        details: `berth logs -a ${app}${event.machineId ? ` --machine ${event.machineId}` : ''}`,
      };
    case 'machine.wake_failed':
      return {
        ...base,
        kind: 'machine.wake_failed',
        exitCode: null,
        details: `berth logs -a ${app}${event.machineId ? ` --machine ${event.machineId}` : ''}`,
      };
    default:
      return undefined;
  }
}

function exitCodeOf(exit: unknown): number | null {
  const match = typeof exit === 'string' ? /exit code (\d+)/.exec(exit) : null;
  return match ? Number(match[1]) : null;
}

/** Delay before attempt `attempts + 1`, or undefined when the delivery is given up. */
export function nextAttemptDelayMs(attempts: number): number | undefined {
  if (attempts >= MAX_DELIVERY_ATTEMPTS) return undefined;
  return restartDelayMs(attempts - 1, { baseMs: 1000, maxMs: 300_000 });
}

/** A URL as events and listings show it: webhook paths are often secrets themselves. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? '/…' : '/'}`;
  } catch {
    return '(invalid URL)';
  }
}
