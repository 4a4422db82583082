// bluegreen: start a full new set beside the old one, wait until every new machine is
// healthy, switch the proxy to the new set in one step, then drain and retire the old set.
// Until the switch the old set is untouched, so a failure costs nothing live.
import { commonFirstSteps, offTarget, onTarget } from './observe.js';
import type { RolloutAction, RolloutMachine, RolloutTarget } from './types.js';

export function planBlueGreen(machines: RolloutMachine[], target: RolloutTarget): RolloutAction {
  const first = commonFirstSteps(machines, target);
  if (first) return first;
  const running = machines.filter((m) => m.state !== 'stopped');
  const green = onTarget(running, target);
  const blue = offTarget(running, target);

  const starts: Array<{ group: string }> = [];
  for (const [group, desired] of Object.entries(target.counts)) {
    const have = onTarget(machines, target).filter((m) => m.group === group).length;
    for (let i = have; i < desired; i++) starts.push({ group });
  }
  if (starts.length > 0) return { kind: 'start', machines: starts, waitForHealth: true };

  const pending = green.filter((m) => m.health === 'pending');
  if (pending.length > 0) return { kind: 'await-health', machineIds: pending.map((m) => m.id) };

  const unrouted = green.filter((m) => !m.serving);
  const stillServing = blue.filter((m) => m.serving);
  if (unrouted.length > 0 || stillServing.length > 0) {
    return { kind: 'serve', add: unrouted.map((m) => m.id), remove: stillServing.map((m) => m.id) };
  }
  if (blue.length > 0) return { kind: 'retire', machineIds: blue.map((m) => m.id), drain: true };
  return { kind: 'done' };
}
