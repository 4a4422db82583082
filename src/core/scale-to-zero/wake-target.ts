// Which machine a request wakes when its app has no started machine. Pure: the waker observes
// the app's machines, this decides.
import type { MachineState } from '../machine-state.js';

export interface WakeCandidate {
  id: string;
  state: MachineState;
  releaseVersion: number;
  /** Made by deploys (not `machine run`): only those are woken. */
  managed: boolean;
  /** Its group serves the routed HTTP service. */
  servesHttp: boolean;
}

export type WakeChoice =
  /** Start this stopped machine. */
  | { kind: 'start'; machineId: string }
  /** This one is being stopped (an auto-stop raced the request): wait, then start it. */
  | { kind: 'await-stop'; machineId: string }
  /** Machines are booting or restarting (a deploy, a crash): wait for the proxy to get one. */
  | { kind: 'await-start' }
  /** There are stopped machines, but auto_start_machines is off. */
  | { kind: 'disabled'; stopped: number }
  /** Nothing that could serve: no machine of a serving group at all. */
  | { kind: 'nothing' };

const BOOTING: ReadonlySet<MachineState> = new Set(['starting', 'restarting']);

/**
 * Prefers a stopped machine on the app's current release (older ones exist only when a deploy
 * was interrupted), then the one with the smallest id, so concurrent choices agree.
 */
export function chooseWake(
  machines: readonly WakeCandidate[],
  currentRelease: number | null,
  autoStart: boolean,
): WakeChoice {
  const eligible = machines.filter((m) => m.managed && m.servesHttp);
  const stopped = eligible.filter((m) => m.state === 'stopped');
  if (!autoStart)
    return stopped.length > 0 ? { kind: 'disabled', stopped: stopped.length } : { kind: 'nothing' };
  const best = [...stopped].sort(
    (a, b) =>
      Number(b.releaseVersion === currentRelease) - Number(a.releaseVersion === currentRelease) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )[0];
  if (best) return { kind: 'start', machineId: best.id };
  if (eligible.some((m) => BOOTING.has(m.state) || m.state === 'started')) return { kind: 'await-start' };
  const stopping = eligible.find((m) => m.state === 'stopping');
  if (stopping) return { kind: 'await-stop', machineId: stopping.id };
  return { kind: 'nothing' };
}
