// One schedule run: a temporary machine of a release (its env and secrets, as every machine
// of the app gets them), launched through the supervisor like a release command and watched
// to its exit. It is unmanaged and never restarted; its output's tail is kept with the run,
// since the machine and its log go once it is done.
import { redactSecrets } from '../../core/redact.js';
import type { RunOutcome } from '../../core/schedules/plan.js';
import type { Release } from '../../core/model.js';
import type { Machine } from '../../store/machines.js';
import type { Store } from '../../store/store.js';
import type { DaemonDrivers } from '../drivers.js';
import { sleep } from '../readiness.js';
import type { MachineSupervisor } from '../supervisor.js';

/** The process group schedule machines are recorded under. */
export const SCHEDULE_GROUP = 'schedule';
const TAIL_LINES = 100;
const MAX_LINE = 2000;

export interface RunMachineDeps {
  store: Store;
  drivers: DaemonDrivers;
  supervisor: MachineSupervisor;
}

export interface RunResult {
  outcome: Extract<RunOutcome, 'ok' | 'failed' | 'timeout' | 'unknown'>;
  exitCode: number | null;
  reason: string | null;
  logTail: string;
}

/** The machine name of a run's attempt: found again by a restarted daemon. */
export function runMachineName(runId: number, attempt: number): string {
  return `sched-${runId}-${attempt}`;
}

/** Starts the run's machine; the caller watches it with watchRun. */
export function launchRunMachine(
  deps: RunMachineDeps,
  release: Release,
  command: string,
  env: Record<string, string>,
  name: string,
): Promise<Machine> {
  return deps.supervisor.launch(release, SCHEDULE_GROUP, command, false, env, { name, runConfig: null });
}

/**
 * Waits for the machine to exit (or stops it at `deadline`), keeps its output's tail, then
 * removes the machine. `adopted`: started by an earlier daemon, whose exit status this one
 * may not learn.
 */
export async function watchRun(
  deps: RunMachineDeps,
  machineId: string,
  deadline: number,
  options: { adopted: boolean },
): Promise<RunResult> {
  const machine = deps.store.machines.get(machineId)!;
  const handle = machine.handle;
  if (!handle) {
    await deps.supervisor.retire(machineId, { drain: false });
    return { outcome: 'failed', exitCode: null, reason: 'its machine never started', logTail: '' };
  }
  const driver = deps.drivers.forHandle(handle);
  const lines: string[] = [];
  const stopFollowing = new AbortController();
  const following = driver
    .followLogs(
      handle,
      (line) => {
        lines.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
        if (lines.length > TAIL_LINES) lines.shift();
      },
      stopFollowing.signal,
      { fromStart: true },
    )
    .catch(() => {});
  let result: Omit<RunResult, 'logTail'>;
  try {
    for (;;) {
      const observed = await driver.inspect(handle);
      if (observed.state === 'exited' || observed.state === 'missing') {
        result = exitResult(observed, options.adopted);
        break;
      }
      if (Date.now() > deadline) {
        result = { outcome: 'timeout', exitCode: null, reason: 'it ran past its timeout and was stopped' };
        break;
      }
      await sleep(100);
    }
  } finally {
    if (Date.now() <= deadline) await sleep(150); // let the last lines reach the log reader
    stopFollowing.abort();
    await following;
  }
  const secrets = Object.values(deps.supervisor.secretEnv(machine.app));
  return { ...result, logTail: redactSecrets(lines.join('\n'), secrets) };
}

/** Removes a finished run's machine (its result is recorded first, so a crash here repeats nothing). */
export async function removeRunMachine(deps: RunMachineDeps, machineId: string): Promise<void> {
  await deps.supervisor.retire(machineId, { drain: false });
}

function exitResult(
  observed: { state: string; exitCode?: number | null; signal?: string | null; lost?: string },
  adopted: boolean,
): Omit<RunResult, 'logTail'> {
  const exitCode = observed.exitCode ?? null;
  if (observed.lost) return { outcome: 'unknown', exitCode, reason: observed.lost };
  if (observed.state === 'missing') {
    return adopted
      ? {
          outcome: 'unknown',
          exitCode,
          reason: 'it ended while the daemon was restarting; its exit status is unknown',
        }
      : { outcome: 'failed', exitCode, reason: 'its machine vanished' };
  }
  if (observed.signal) return { outcome: 'failed', exitCode, reason: `it was killed by ${observed.signal}` };
  if (exitCode === 0) return { outcome: 'ok', exitCode, reason: null };
  if (exitCode === null) {
    return {
      outcome: 'unknown',
      exitCode,
      reason: 'it ended while the daemon was restarting; its exit status is unknown',
    };
  }
  return { outcome: 'failed', exitCode, reason: `it exited with code ${exitCode}` };
}
