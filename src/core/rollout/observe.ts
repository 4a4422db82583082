// Small questions the planners ask of the observed machines.
import type { RolloutMachine, RolloutTarget } from './types.js';

export function onTarget(machines: RolloutMachine[], target: RolloutTarget): RolloutMachine[] {
  return machines.filter((m) => m.release === target.release);
}

export function offTarget(machines: RolloutMachine[], target: RolloutTarget): RolloutMachine[] {
  return machines.filter((m) => m.release !== target.release);
}

/** Machines of the target release that failed: an unhealthy or exited one fails the batch. */
export function failedOnTarget(machines: RolloutMachine[], target: RolloutTarget): RolloutMachine[] {
  return onTarget(machines, target).filter(
    (m) => m.state !== 'stopped' && (m.health === 'unhealthy' || m.health === 'exited'),
  );
}

export function describeFailure(failed: RolloutMachine[]): string {
  return failed
    .map(
      (m) => `machine ${m.id} (${m.group}) ${m.health === 'exited' ? 'exited' : 'failed its health checks'}`,
    )
    .join('; ');
}

/** Groups in a stable order: the target's, then any only old machines still have. */
export function groupsOf(machines: RolloutMachine[], target: RolloutTarget): string[] {
  const groups = Object.keys(target.counts);
  for (const m of machines) if (!groups.includes(m.group)) groups.push(m.group);
  return groups;
}

/** The common first steps of every strategy: failures, then stopped machines. */
export function commonFirstSteps(machines: RolloutMachine[], target: RolloutTarget) {
  const failed = failedOnTarget(machines, target);
  if (failed.length > 0) {
    return { kind: 'fail' as const, machineIds: failed.map((m) => m.id), reason: describeFailure(failed) };
  }
  const stoppedOld = offTarget(machines, target).filter(
    (m) => m.state === 'stopped' && m.group in target.counts,
  );
  if (stoppedOld.length > 0)
    return { kind: 'update-stopped' as const, machineIds: stoppedOld.map((m) => m.id) };
  return undefined;
}
