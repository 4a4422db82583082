// A machine's life. "started" machines are supervised (restarted on crash) and, when they
// serve HTTP and are ready, routed to; "stopping" ones are draining. "stranded" ones cannot run
// because the node that holds their volume is lost: watched, never recreated elsewhere.
export type MachineState =
  | 'created'
  | 'starting'
  | 'started'
  | 'restarting'
  | 'stranded'
  | 'stopping'
  | 'stopped'
  | 'destroyed'
  | 'failed';

const NEXT: Record<MachineState, readonly MachineState[]> = {
  created: ['starting', 'destroyed'],
  starting: ['started', 'failed', 'stopping', 'restarting'],
  started: ['restarting', 'stranded', 'stopping', 'failed'],
  restarting: ['started', 'stranded', 'stopping', 'failed'],
  stranded: ['started', 'restarting', 'stopping', 'failed'],
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
  return state === 'starting' || state === 'started' || state === 'restarting' || state === 'stranded';
}
