// What a machine's service is doing, read from its tasks and the swarm's nodes: pure, so it is
// tested without a swarm. Swarm keeps one task desired running per service of one replica and
// replaces it when it exits or its node is lost; berth reads which one runs now, and where.

export interface TaskJson {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Status?: {
    State?: string;
    Err?: string;
    Message?: string;
    ContainerStatus?: { ExitCode?: number };
  };
}

export interface NodeJson {
  ID: string;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string; Leader?: boolean; Reachability?: string };
  Spec?: { Availability?: string; Role?: string; Labels?: Record<string, string> };
}

export type ServiceObservation =
  | { kind: 'running'; task: TaskJson }
  /** A task is on its way (being placed, pulled or started); `why` is the last one's fate. */
  | { kind: 'starting'; why: string | undefined }
  /** No task is wanted: berth stopped it (replicas 0). */
  | { kind: 'stopped'; exitCode: number | null };

const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

/** Newest first. */
function byAge(tasks: TaskJson[]): TaskJson[] {
  return [...tasks].sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''));
}

export function observeTasks(tasks: TaskJson[], replicas: number): ServiceObservation {
  const newest = byAge(tasks);
  const running = newest.find((t) => t.DesiredState === 'running' && t.Status?.State === 'running');
  if (running && replicas > 0) return { kind: 'running', task: running };
  const ended = newest.find((t) => ENDED.has(t.Status?.State ?? ''));
  if (replicas === 0) return { kind: 'stopped', exitCode: ended?.Status?.ContainerStatus?.ExitCode ?? null };
  return { kind: 'starting', why: ended ? taskFate(ended) : undefined };
}

/**
 * A service whose task runs once (restart condition none): its task running, on its way, or
 * ended, with the exit code its container reported (null when it never ran: rejected, orphaned).
 */
export type OnceObservation =
  | { kind: 'running'; task: TaskJson }
  | { kind: 'starting' }
  | { kind: 'exited'; exitCode: number | null; why: string; lost?: true };

export function observeOnce(
  tasks: TaskJson[],
  lostNodes: ReadonlyMap<string, string> = new Map(),
): OnceObservation {
  const newest = byAge(tasks)[0];
  if (!newest) return { kind: 'starting' };
  // A task on a lost node reports its last state for ever, and Swarm starts no other (restart
  // condition none): its command's end is unknown.
  const lost = lostNodes.get(newest.NodeID ?? '');
  if (lost !== undefined && !ENDED.has(newest.Status?.State ?? '')) {
    return { kind: 'exited', exitCode: null, why: `its node ${lost} was lost`, lost: true };
  }
  if (newest.Status?.State === 'running') return { kind: 'running', task: newest };
  if (ENDED.has(newest.Status?.State ?? '') || newest.DesiredState === 'shutdown') {
    const code = newest.Status?.ContainerStatus?.ExitCode;
    const ran = newest.Status?.State === 'complete' || newest.Status?.State === 'failed';
    return { kind: 'exited', exitCode: ran && code !== undefined ? code : null, why: taskFate(newest) };
  }
  return { kind: 'starting' };
}

/** A task that failed before its command ran (the image cannot be pulled, the port is taken). */
export function rejection(tasks: TaskJson[]): string | undefined {
  const failed = byAge(tasks).find(
    (t) =>
      (t.Status?.State === 'rejected' || t.Status?.State === 'failed') &&
      t.Status?.ContainerStatus?.ExitCode === undefined,
  );
  return failed ? taskFate(failed) : undefined;
}

/** "failed: task: non-zero exit (1)", "rejected: No such image: ...". */
export function taskFate(task: TaskJson): string {
  const detail = task.Status?.Err || task.Status?.Message || '';
  return `${task.Status?.State ?? 'unknown'}${detail ? `: ${detail}` : ''}`;
}

/** The address a node's published ports are reached at. A manager may report 0.0.0.0 as its Addr. */
export function nodeAddress(node: NodeJson): string | undefined {
  const addr = node.Status?.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  const manager = node.ManagerStatus?.Addr;
  return manager ? manager.replace(/:\d+$/, '') : undefined;
}

/** A node as people know it: its hostname, else the start of its id. */
export function nodeName(node: NodeJson): string {
  return node.Description?.Hostname || node.ID.slice(0, 12);
}
