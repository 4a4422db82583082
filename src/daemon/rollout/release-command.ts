// `[deploy] release_command`: runs once in a temporary machine of the new release, with its
// env and RELEASE_COMMAND=1, before anything live changes. Its output is streamed as it is
// written; a non-zero exit or a timeout fails the release.
import { sleep } from '../readiness.js';
import type { FailedMachineOutput, Release } from '../../core/model.js';
import type { Store } from '../../store/store.js';
import type { DaemonDrivers } from '../drivers.js';
import type { MachineSupervisor } from '../supervisor.js';

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
  const machine = await deps.supervisor.launch(release, 'release_command', deps.command, false, {
    RELEASE_COMMAND: '1',
  });
  deps.onMachine(machine.id);
  const handle = store.machines.get(machine.id)!.handle!;
  const driver = deps.drivers.forHandle(handle);
  const stopFollowing = new AbortController();
  const following = driver.followLogs(handle, deps.onLine, stopFollowing.signal, { fromStart: true });
  const deadline = Date.now() + release.config.deploy.releaseCommandTimeoutMs;
  let result: ReleaseCommandResult | undefined;
  try {
    result = await watch();
    return result;
  } finally {
    await sleep(150); // let the last lines reach the log reader
    stopFollowing.abort();
    await following;
    // Its last lines, kept with the release: the machine is removed next.
    if (result && !result.ok) {
      const lines = await driver.tailLogs(handle, 15).catch(() => []);
      result.output = {
        machineId: machine.id,
        processGroup: 'release_command',
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
        if (observed.exitCode === 0) return { ok: true };
        const how = observed.signal
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
