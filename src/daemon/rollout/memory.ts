// What a deployment remembers in its row, so a daemon killed at any point can pick it up:
// where it came from, what it aims for, which phase it is in and the step it was applying.
import type { DeployStrategy } from '../../core/config/types.js';
import type { RolloutAction } from '../../core/rollout/types.js';

export type DeploymentPhase = 'build' | 'release-command' | 'rollout' | 'revert';

export interface DeploymentMemory {
  phase: DeploymentPhase;
  strategy: DeployStrategy;
  /** The app's current release when the deployment began (null on a first deploy). */
  from: number | null;
  /** Machines per process group the new release should have, and their commands. */
  counts: Record<string, number>;
  commands: Record<string, string>;
  /** The same for the release a revert goes back to. */
  previousCounts: Record<string, number>;
  previousCommands: Record<string, string>;
  /** Per-batch health deadline (ms). */
  waitTimeoutMs: number;
  /** The step being applied, recorded before and after applying it. */
  action?: RolloutAction;
  applied?: boolean;
  /** Why the rollout failed, once it has. */
  failure?: string;
  /** A release command's temporary machine, so a restarted daemon can clean it up. */
  releaseCommandMachine?: string;
}

export function readMemory(state: Record<string, unknown>): DeploymentMemory | undefined {
  return typeof state.phase === 'string' ? (state as unknown as DeploymentMemory) : undefined;
}
