// rolling (and canary, which is rolling whose first batch is a single machine): per group,
// start a batch of replacements beside the old machines, wait until they are healthy, route
// them, then drain and retire as many old machines. Capacity never drops below the group
// size, so even a single machine is replaced without downtime.
import { awaitingInPlace, inPlaceGroups, nextInPlace } from './in-place.js';
import { commonFirstSteps, groupsOf, offTarget, onTarget } from './observe.js';
import { batchSize, type RolloutAction, type RolloutMachine, type RolloutTarget } from './types.js';

export function planRolling(
  machines: RolloutMachine[],
  target: RolloutTarget,
  canary = false,
): RolloutAction {
  const first = commonFirstSteps(machines, target);
  if (first) return first;
  const running = machines.filter((m) => m.state !== 'stopped');
  const fresh = onTarget(running, target);

  const pending = fresh.filter((m) => m.health === 'pending');
  if (pending.length > 0) return { kind: 'await-health', machineIds: pending.map((m) => m.id) };

  const unrouted = fresh.filter((m) => m.health === 'healthy' && !m.serving);
  if (unrouted.length > 0) return { kind: 'serve', add: unrouted.map((m) => m.id), remove: [] };

  // Retire the old machines the new ones now cover (all of a group the release dropped).
  const retire: string[] = [];
  for (const group of groupsOf(running, target)) {
    // Stopped machines on the target count toward the group but take no traffic.
    const stoppedHere = onTarget(machines, target).filter(
      (m) => m.group === group && m.state === 'stopped',
    ).length;
    const desired = (target.counts[group] ?? 0) - stoppedHere;
    const oldOnes = offTarget(running, target).filter((m) => m.group === group);
    const ready = fresh.filter((m) => m.group === group).length;
    const surplus = oldOnes.length + ready - desired;
    // Retire not-serving machines first: they take no traffic.
    const ordered = [...oldOnes].sort((a, b) => Number(a.serving) - Number(b.serving));
    retire.push(...ordered.slice(0, Math.max(0, Math.min(surplus, oldOnes.length))).map((m) => m.id));
  }
  if (retire.length > 0) return { kind: 'retire', machineIds: retire, drain: true };

  // Machines with volumes: stop, then start on the new release, a batch at a time.
  const inPlace = inPlaceGroups(machines, target);
  const replace = nextInPlace(machines, target, inPlace, false);
  if (replace.length > 0) return { kind: 'replace-in-place', machineIds: replace, waitForHealth: true };

  const starts: Array<{ group: string }> = [];
  const isFirstBatch = onTarget(machines, target).filter((m) => m.state !== 'stopped').length === 0;
  for (const group of Object.keys(target.counts)) {
    const desired = target.counts[group]!;
    const have = onTarget(machines, target).filter((m) => m.group === group).length;
    const missing = desired - have - (inPlace.has(group) ? awaitingInPlace(running, target, group) : 0);
    if (missing <= 0) continue;
    const batch = canary && isFirstBatch ? 1 : Math.min(missing, batchSize(target.maxUnavailable, desired));
    for (let i = 0; i < batch; i++) starts.push({ group });
    if (canary && isFirstBatch) break; // the canary: one machine, in the first group only
  }
  if (starts.length > 0) return { kind: 'start', machines: starts, waitForHealth: true };
  return { kind: 'done' };
}
