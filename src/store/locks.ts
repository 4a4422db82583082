// The deploy_locks table: at most one row per app, the holder of its deploy lock.
import { isLockExpired, type DeployLock } from '../core/deploy-lock.js';
import type { Db } from './database.js';

interface LockRow {
  app: string;
  owner: string;
  user_name: string;
  acquired_at: string;
  heartbeat_at: string;
  expires_at: string;
}

const toLock = (r: LockRow): DeployLock => ({
  app: r.app,
  owner: r.owner,
  user: r.user_name,
  acquiredAt: r.acquired_at,
  heartbeatAt: r.heartbeat_at,
  expiresAt: r.expires_at,
});

export type AcquireResult =
  /** tookOver: the expired lock this one replaced, if any. */
  { acquired: true; lock: DeployLock; tookOver?: DeployLock } | { acquired: false; holder: DeployLock };

export class LockStore {
  constructor(private readonly db: Db) {}

  get(app: string): DeployLock | undefined {
    const row = this.db.prepare('SELECT * FROM deploy_locks WHERE app = ?').get(app) as LockRow | undefined;
    return row && toLock(row);
  }

  /**
   * Takes the lock when it is free, expired, or already this owner's; else names the holder.
   * IMMEDIATE takes SQLite's write lock first, so two daemons on one file cannot both win.
   */
  tryAcquire(app: string, owner: string, user: string, ttlMs: number, now = new Date()): AcquireResult {
    return this.db
      .transaction((): AcquireResult => {
        const current = this.get(app);
        if (current && current.owner !== owner && !isLockExpired(current, now)) {
          return { acquired: false, holder: current };
        }
        const at = now.toISOString();
        const acquiredAt = current?.owner === owner ? current.acquiredAt : at;
        this.db
          .prepare(
            `INSERT OR REPLACE INTO deploy_locks (app, owner, user_name, acquired_at, heartbeat_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(app, owner, user, acquiredAt, at, new Date(now.getTime() + ttlMs).toISOString());
        const lock = this.get(app)!;
        return current && current.owner !== owner
          ? { acquired: true, lock, tookOver: current }
          : { acquired: true, lock };
      })
      .immediate();
  }

  /** Renews the owner's lock; false when it is no longer theirs (broken or taken over). */
  heartbeat(app: string, owner: string, ttlMs: number, now = new Date()): boolean {
    return (
      this.db
        .prepare('UPDATE deploy_locks SET heartbeat_at = ?, expires_at = ? WHERE app = ? AND owner = ?')
        .run(now.toISOString(), new Date(now.getTime() + ttlMs).toISOString(), app, owner).changes === 1
    );
  }

  /** Removes the lock (only the owner's, when owner is given) and returns what was removed. */
  release(app: string, owner?: string): DeployLock | undefined {
    return this.db
      .transaction(() => {
        const current = this.get(app);
        if (!current || (owner !== undefined && current.owner !== owner)) return undefined;
        this.db.prepare('DELETE FROM deploy_locks WHERE app = ? AND owner = ?').run(app, current.owner);
        return current;
      })
      .immediate();
  }
}
