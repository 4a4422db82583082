// Taking an app's deploy lock: poll until it is free (or its holder's lease expired) or the
// wait runs out, then keep it alive with a heartbeat until the deploy releases it.
import { formatDuration } from '../core/config/duration.js';
import { describeLock, type DeployLock } from '../core/deploy-lock.js';
import { BerthError } from '../core/errors.js';
import type { LockStore } from '../store/locks.js';

export interface AcquireOptions {
  /** A deployment id or free text naming the holder. */
  owner: string;
  user: string;
  /** How long to wait for a held lock; 0 fails at once. */
  waitMs?: number;
  /** How long the lock outlives its last heartbeat. */
  ttlMs?: number;
  /** Called once if the lock stops being ours (broken by `berth lock release`). */
  onLost?: () => void;
}

const DEFAULT_TTL_MS = 60_000;
const DEFAULT_POLL_MS = 250;

export class DeployLocks {
  constructor(
    private readonly locks: LockStore,
    private readonly options: { pollMs?: number } = {},
  ) {}

  async acquire(app: string, options: AcquireOptions): Promise<Lease> {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    const waitMs = options.waitMs ?? 0;
    const pollMs = this.options.pollMs ?? DEFAULT_POLL_MS;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const result = this.locks.tryAcquire(app, options.owner, options.user, ttlMs);
      if (result.acquired) return new Lease(this.locks, result.lock, ttlMs, result.tookOver, options.onLost);
      const left = deadline - Date.now();
      if (left <= 0) throw lockedError(app, result.holder, waitMs);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
    }
  }
}

function lockedError(app: string, holder: DeployLock, waitedMs: number): BerthError {
  const waited = waitedMs > 0 ? ` after waiting ${formatDuration(waitedMs)}` : '';
  return new BerthError(
    'deploy_locked',
    `app "${app}" is locked${waited}: ${describeLock(holder, Date.now())}`,
    {
      hint: `Wait for it, pass --lock-wait 5m, or break it with \`berth lock release -a ${app}\` if its deployer is gone.`,
      details: { lock: holder },
    },
  );
}

/** A held lock, renewed every ttl/3 until released or lost. */
export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private lostFlag = false;

  constructor(
    private readonly locks: LockStore,
    readonly lock: DeployLock,
    private readonly ttlMs: number,
    /** The expired lock of a dead holder this lease replaced, worth an event. */
    readonly tookOver: DeployLock | undefined,
    private readonly onLost?: () => void,
  ) {
    this.timer = setInterval(() => this.heartbeat(), Math.max(10, Math.floor(ttlMs / 3)));
    // A lease must never keep the daemon alive on its own.
    this.timer.unref();
  }

  get lost(): boolean {
    return this.lostFlag;
  }

  /** Renews the lock now; false (and onLost, once) when it is no longer ours. */
  heartbeat(): boolean {
    if (this.lostFlag) return false;
    if (this.locks.heartbeat(this.lock.app, this.lock.owner, this.ttlMs)) return true;
    this.lostFlag = true;
    this.stop();
    this.onLost?.();
    return false;
  }

  /** Gives the lock back; never removes a lock someone else took since. */
  release(): void {
    this.stop();
    if (!this.lostFlag) this.locks.release(this.lock.app, this.lock.owner);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
