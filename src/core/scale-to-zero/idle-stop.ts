// Which warm machines to stop now: those idle for the whole window, longest idle first, while
// at least min_machines_running stay started. Pure: the auto-stopper observes, this decides.
import type { ScalePolicy } from './policy.js';

/** A started, routed machine as the auto-stopper observed it. */
export interface WarmMachine {
  id: string;
  /** When it last had a request in flight or finished one (epoch ms); its start if never. */
  lastActiveAt: number;
  /** Requests and connections it is serving right now. */
  inFlight: number;
}

export interface IdleStop {
  id: string;
  /** How long it had been idle, for the event that says why it stopped. */
  idleMs: number;
}

export function machinesToStop(
  machines: readonly WarmMachine[],
  policy: Pick<ScalePolicy, 'autoStop' | 'minRunning' | 'idleTimeoutMs'>,
  now: number,
): IdleStop[] {
  if (!policy.autoStop) return [];
  const stoppable = Math.max(0, machines.length - Math.max(0, policy.minRunning));
  if (stoppable === 0) return [];
  return machines
    .filter((m) => m.inFlight <= 0 && now - m.lastActiveAt >= policy.idleTimeoutMs)
    .sort((a, b) => a.lastActiveAt - b.lastActiveAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, stoppable)
    .map((m) => ({ id: m.id, idleMs: now - m.lastActiveAt }));
}
