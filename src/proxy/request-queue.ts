// Requests waiting for a machine of their app to drop under its concurrency hard_limit. One
// FIFO per app, filled and drained only when an app is full: the usual request never sees it.
import type { ClientSide } from './client-side.js';

export interface QueuedRequest<C> {
  readonly client: ClientSide;
  readonly context: C;
  /** When it was queued (ms since epoch). */
  readonly at: number;
}

export class RequestQueues<C> {
  private readonly queues = new Map<string, QueuedRequest<C>[]>();
  /** Requests waiting across every app; the proxy checks this before looking further. */
  size = 0;

  constructor(private readonly limit: number) {}

  /** False when the app's queue is full. */
  push(app: string, entry: QueuedRequest<C>): boolean {
    let queue = this.queues.get(app);
    if (queue === undefined) {
      queue = [];
      this.queues.set(app, queue);
    }
    if (queue.length >= this.limit) return false;
    queue.push(entry);
    this.size++;
    return true;
  }

  /** The app's oldest request whose client is still there, removed; undefined when none. */
  shift(app: string): QueuedRequest<C> | undefined {
    const queue = this.queues.get(app);
    if (queue === undefined) return undefined;
    let entry: QueuedRequest<C> | undefined;
    while ((entry = queue.shift()) !== undefined) {
      this.size--;
      if (!gone(entry)) break;
    }
    if (queue.length === 0) this.queues.delete(app);
    return entry;
  }

  /** Apps with waiting requests. */
  apps(): string[] {
    return [...this.queues.keys()];
  }

  /** Removes requests queued before `before` (returned) and those whose client left. */
  expire(app: string, before: number): QueuedRequest<C>[] {
    const queue = this.queues.get(app);
    if (queue === undefined) return [];
    const expired: QueuedRequest<C>[] = [];
    const kept = queue.filter((entry) => {
      if (gone(entry)) return false;
      if (entry.at > before) return true;
      expired.push(entry);
      return false;
    });
    this.size -= queue.length - kept.length;
    if (kept.length === 0) this.queues.delete(app);
    else this.queues.set(app, kept);
    return expired;
  }
}

// The client closed its connection while waiting.
function gone(entry: QueuedRequest<unknown>): boolean {
  const socket = entry.client.socket;
  return socket === null || socket.destroyed;
}
