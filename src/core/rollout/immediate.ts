// immediate: replace everything at once with no health wait. Requests may fail while the
// new machines boot; the deploy output says so.
import { inPlaceGroups, nextInPlace } from './in-place.js';
import { commonFirstSteps, offTarget, onTarget } from './observe.js';
import type { RolloutAction, RolloutMachine, RolloutTarget } from './types.js';

export function planImmediate(machines: RolloutMachine[], target: RolloutTarget): RolloutAction {
  const first = commonFirstSteps(machines, target);
  if (first) return first;
  const running = machines.filter((m) => m.state !== 'stopped');
  // Machines with volumes cannot have a replacement beside them: all stop, then start.
  const replace = nextInPlace(machines, target, inPlaceGroups(machines, target), true);
  if (replace.length > 0) return { kind: 'replace-in-place', machineIds: replace, waitForHealth: false };
  const starts: Array<{ group: string }> = [];
  for (const [group, desired] of Object.entries(target.counts)) {
    const have = onTarget(machines, target).filter((m) => m.group === group).length;
    for (let i = have; i < desired; i++) starts.push({ group });
  }
  if (starts.length > 0) return { kind: 'start', machines: starts, waitForHealth: false };
  const fresh = onTarget(running, target);
  const old = offTarget(running, target);
  const unrouted = fresh.filter((m) => !m.serving);
  if (unrouted.length > 0 || old.some((m) => m.serving)) {
    return {
      kind: 'serve',
      add: unrouted.map((m) => m.id),
      remove: old.filter((m) => m.serving).map((m) => m.id),
    };
  }
  if (old.length > 0) return { kind: 'retire', machineIds: old.map((m) => m.id), drain: false };
  return { kind: 'done' };
}
