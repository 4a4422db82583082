// A machine's life. "started" machines are supervised (restarted on crash) and, when they
// serve HTTP and are ready, routed to; "stopping" ones are draining.
export type MachineState =
  'created' | 'starting' | 'started' | 'restarting' | 'stopping' | 'stopped' | 'destroyed' | 'failed';

const NEXT: Record<MachineState, readonly MachineState[]> = {
  created: ['starting', 'destroyed'],
  starting: ['started', 'failed', 'stopping', 'restarting'],
  started: ['restarting', 'stopping', 'failed'],
  restarting: ['started', 'stopping', 'failed'],
  stopping: ['stopped', 'destroyed'],
  stopped: ['starting', 'destroyed'],
  failed: ['stopping', 'destroyed', 'starting'],
  destroyed: [],
};

export function canMoveMachine(from: MachineState, to: MachineState): boolean {
  return from === to || NEXT[from].includes(to);
}

/** States in which the daemon keeps a process alive. */
export function isSupervised(state: MachineState): boolean {
  return state === 'starting' || state === 'started' || state === 'restarting';
}
