// The planner: a pure function of (target, observed machines) that returns the next action.
// The controller applies it, records it, observes again, and asks again; so a controller
// that died at any point can resume by simply asking again.
import { planBlueGreen } from './bluegreen.js';
import { planImmediate } from './immediate.js';
import { planRolling } from './rolling.js';
import type { RolloutAction, RolloutMachine, RolloutTarget } from './types.js';

export function planNext(machines: RolloutMachine[], target: RolloutTarget): RolloutAction {
  switch (target.strategy) {
    case 'rolling':
      return planRolling(machines, target);
    case 'canary':
      return planRolling(machines, target, true);
    case 'bluegreen':
      return planBlueGreen(machines, target);
    case 'immediate':
      return planImmediate(machines, target);
  }
}

/**
 * A revert is a rollout back to the previous release: rolling, so the previous release's
 * machines that still serve keep serving while the failed release's machines are retired and
 * any that were already replaced come back. With no previous release, everything goes.
 */
export function revertTarget(
  failed: RolloutTarget,
  previousRelease: number | null,
  previousCounts: Record<string, number>,
): RolloutTarget {
  return {
    release: previousRelease ?? -1,
    strategy: 'rolling',
    counts: previousRelease === null ? {} : previousCounts,
    maxUnavailable: failed.maxUnavailable,
  };
}
