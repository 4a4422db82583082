// `[deploy] release_command`: runs once in a temporary machine of the new release, with its
// env and RELEASE_COMMAND=1, before anything live changes. Its output is streamed as it is
// written; a non-zero exit or a timeout fails the release.
import { sleep } from '../readiness.js';
import type { FailedMachineOutput, Release } from '../../core/model.js';
import type { Store } from '../../store/store.js';
import type { DaemonDrivers } from '../drivers.js';
import type { MachineSupervisor } from '../supervisor.js';

/** The process group a release command's machine is recorded under. */
export const RELEASE_COMMAND_GROUP = 'release_command';

/** How long the follow of an ended command may take to deliver its last lines. */
const LAST_LINES_MS = 10_000;

export type ReleaseCommandResult = { ok: true } | { ok: false; reason: string; output?: FailedMachineOutput };

export async function runReleaseCommand(deps: {
  store: Store;
  drivers: DaemonDrivers;
  supervisor: MachineSupervisor;
  release: Release;
  command: string;
  onMachine: (machineId: string) => void;
  onLine: (line: string) => void;
}): Promise<ReleaseCommandResult> {
  const { release, store } = deps;
  const machine = await deps.supervisor.launch(release, RELEASE_COMMAND_GROUP, deps.command, false, {
    RELEASE_COMMAND: '1',
  });
  deps.onMachine(machine.id);
  const handle = store.machines.get(machine.id)!.handle!;
  const driver = deps.drivers.forHandle(handle);
  const stopFollowing = new AbortController();
  // untilExit: the follow resolves once every line the command wrote has been delivered.
  const following = driver.followLogs(handle, deps.onLine, stopFollowing.signal, {
    fromStart: true,
    untilExit: true,
  });
  const deadline = Date.now() + release.config.deploy.releaseCommandTimeoutMs;
  let result: ReleaseCommandResult | undefined;
  let ended = false;
  try {
    result = await watch();
    return result;
  } finally {
    // A command that ended has its last lines on their way; one still running (timed out) is let go.
    if (ended) await Promise.race([following, sleep(LAST_LINES_MS)]);
    stopFollowing.abort();
    await following;
    // Its last lines, kept with the release: the machine is removed next.
    if (result && !result.ok) {
      const lines = await driver.tailLogs(handle, 15).catch(() => []);
      result.output = {
        machineId: machine.id,
        processGroup: RELEASE_COMMAND_GROUP,
        reason: result.reason,
        lines,
        at: new Date().toISOString(),
      };
    }
    await deps.supervisor.retire(machine.id, { drain: false });
  }

  async function watch(): Promise<ReleaseCommandResult> {
    for (;;) {
      const observed = await driver.inspect(handle);
      if (observed.state === 'exited') {
        ended = true;
        if (observed.exitCode === 0) return { ok: true };
        const how = observed.lost
          ? `ended unseen: ${observed.lost}`
          : observed.signal
            ? `was killed by ${observed.signal}`
            : `exited with code ${observed.exitCode}`;
        return { ok: false, reason: `release command "${deps.command}" ${how}` };
      }
      if (observed.state === 'missing')
        return { ok: false, reason: `release command "${deps.command}" vanished` };
      if (Date.now() > deadline) {
        const seconds = release.config.deploy.releaseCommandTimeoutMs / 1000;
        return { ok: false, reason: `release command "${deps.command}" timed out after ${seconds}s` };
      }
      await sleep(100);
    }
  }
}
