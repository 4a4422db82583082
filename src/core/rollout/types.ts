// The vocabulary of a rollout: what the planners see (the app's managed machines, as
// observed) and what they ask for (one action at a time).
import type { DeployStrategy } from '../config/types.js';

export type MachineHealth = 'pending' | 'healthy' | 'unhealthy' | 'exited';

/** One managed machine of the app, as the controller observed it just now. */
export interface RolloutMachine {
  id: string;
  group: string;
  release: number;
  /** 'stopped' machines are updated in place and stay stopped. */
  state: 'starting' | 'running' | 'stopped';
  health: MachineHealth;
  /** The proxy routes requests to it. */
  serving: boolean;
  /** It holds a volume: it cannot have a replacement beside it, so it is replaced in place. */
  hasVolume?: boolean;
}

export interface RolloutTarget {
  /** The release machines should end up on. */
  release: number;
  strategy: DeployStrategy;
  /** Desired machines per process group (stopped ones count). */
  counts: Record<string, number>;
  /** max_unavailable: a fraction of each group when < 1, a machine count when >= 1. */
  maxUnavailable: number;
  /** Process groups whose machines the target release gives volumes ([mounts]). */
  mountGroups?: string[];
}

export type RolloutAction =
  /** Start machines on the target release; `warning` is shown once (immediate). */
  | { kind: 'start'; machines: Array<{ group: string }>; waitForHealth: boolean }
  /** Wait until each of these is healthy, unhealthy or exited (bounded by wait_timeout). */
  | { kind: 'await-health'; machineIds: string[] }
  /** Change what the proxy routes, in one step: bluegreen's switch is one of these. */
  | { kind: 'serve'; add: string[]; remove: string[] }
  /** Take out of the proxy, let in-flight requests finish (when drain), stop and destroy. */
  | { kind: 'retire'; machineIds: string[]; drain: boolean }
  /**
   * Machines with volumes: drain and stop each, move it to the target release, start it again
   * with the same id and volume (then, when waitForHealth, wait for health before serving).
   */
  | { kind: 'replace-in-place'; machineIds: string[]; waitForHealth: boolean }
  /** Move stopped machines to the target release without starting them. */
  | { kind: 'update-stopped'; machineIds: string[] }
  /** A machine of the target release failed: the rollout must revert. */
  | { kind: 'fail'; machineIds: string[]; reason: string }
  | { kind: 'done' };

/** Machines per batch for a group of `size`: a fraction of it, or a count; at least one. */
export function batchSize(maxUnavailable: number, size: number): number {
  const n = maxUnavailable >= 1 ? Math.floor(maxUnavailable) : Math.floor(maxUnavailable * size + 1e-9);
  return Math.max(1, n);
}
