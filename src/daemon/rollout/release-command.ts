// `[deploy] release_command`: runs once in a temporary machine of the new release, with its
// env and RELEASE_COMMAND=1, before anything live changes. Its output is streamed as it is
// written; a non-zero exit or a timeout fails the release.
import { sleep } from '../readiness.js';
import type { Release } from '../../core/model.js';
import type { Store } from '../../store/store.js';
import type { DaemonDrivers } from '../drivers.js';
import type { MachineSupervisor } from '../supervisor.js';

export type ReleaseCommandResult = { ok: true } | { ok: false; reason: string };

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
  try {
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
  } finally {
    await sleep(150); // let the last lines reach the log reader
    stopFollowing.abort();
    await following;
    await deps.supervisor.retire(machine.id, { drain: false });
  }
}
