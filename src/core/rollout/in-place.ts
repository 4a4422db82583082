// Machines with volumes cannot surge: a volume is attached to one machine at a time, so a
// replacement beside the old machine would start with an empty one. Their groups are rolled
// in place instead: stop a batch, start the same machines on the new release, wait for
// health, serve, then the next batch.
import { offTarget, onTarget } from './observe.js';
import { batchSize, type RolloutMachine, type RolloutTarget } from './types.js';

/** Groups rolled in place: the target mounts volumes there, or a machine there holds one. */
export function inPlaceGroups(machines: RolloutMachine[], target: RolloutTarget): Set<string> {
  const groups = new Set(target.mountGroups ?? []);
  for (const m of machines) if (m.hasVolume) groups.add(m.group);
  return groups;
}

/**
 * The next old machines of in-place groups to replace: a batch per group (max_unavailable),
 * or every one at once, never more than the group still lacks on the target. Machines that
 * take no traffic go first.
 */
export function nextInPlace(
  machines: RolloutMachine[],
  target: RolloutTarget,
  groups: Set<string>,
  all: boolean,
): string[] {
  const running = machines.filter((m) => m.state !== 'stopped');
  const ids: string[] = [];
  for (const [group, desired] of Object.entries(target.counts)) {
    if (!groups.has(group)) continue;
    const old = offTarget(running, target)
      .filter((m) => m.group === group)
      .sort((a, b) => Number(a.serving) - Number(b.serving));
    const room = desired - onTarget(machines, target).filter((m) => m.group === group).length;
    const batch = Math.min(room, all ? old.length : batchSize(target.maxUnavailable, desired));
    ids.push(...old.slice(0, Math.max(0, batch)).map((m) => m.id));
  }
  return ids;
}

/** Old running machines of a group that will be replaced in place (so need no new machine). */
export function awaitingInPlace(running: RolloutMachine[], target: RolloutTarget, group: string): number {
  return offTarget(running, target).filter((m) => m.group === group).length;
}
