// Machines a daemon started outside a deployment (a scale-up, a clone, `machine start`, a
// wake) and died before routing: on restart they are still "starting" and take no traffic.
// Each is finished the way it would have been: served once healthy (the group's recorded size
// then counts it, as the scale-up would have), else removed (a scaled group keeps its size, so
// the next deploy fills the gap). One that never ran was started again by the supervisor first.
import type { Machine } from '../store/machines.js';
import { groupMembers } from './group-members.js';
import { awaitMachineHealthy, type MachineHealthDeps } from './machine-health.js';

export async function finishUnfinishedStarts(
  deps: MachineHealthDeps,
  log: (line: string) => void,
): Promise<void> {
  const pending: Machine[] = [];
  for (const app of deps.store.apps.list()) {
    // A resumed deployment owns the app's machines: its controller finishes them.
    if (deps.store.deployments.running(app.name)) continue;
    pending.push(
      ...deps.store.machines
        .listByApp(app.name)
        .filter((m) => m.managed && m.state === 'starting' && !m.serving && m.handle !== null),
    );
  }
  await Promise.all(
    pending.map(async (machine) => {
      const say = (message: string) =>
        deps.store.events.append({
          app: machine.app,
          releaseVersion: machine.releaseVersion,
          machineId: machine.id,
          kind: 'machine.recovered',
          message,
        });
      try {
        const outcome = await awaitMachineHealthy(deps, machine.id);
        if (outcome.healthy) {
          deps.supervisor.serve(machine.app, [machine.id], []);
          // The scale-up or clone that started it asked for the group at this size.
          const size = groupMembers(deps.store, machine.app, machine.processGroup).length;
          deps.store.groupScales.set(machine.app, machine.processGroup, size);
          say(
            `machine ${machine.id} (${machine.processGroup}), started before the daemon restarted, is healthy and takes traffic`,
          );
          return;
        }
        await deps.supervisor.retire(machine.id, { drain: false });
        say(
          `machine ${machine.id} (${machine.processGroup}), started before the daemon restarted, was removed: ${outcome.reason}`,
        );
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        log(`could not finish starting machine ${machine.id} of ${machine.app}: ${why}`);
      }
    }),
  );
}
