// An app's deploy lock: who holds it since when, and breaking it when its deployer is gone.
import { describeLock, isLockExpired, type DeployLock } from '../../core/deploy-lock.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import { LockReleaseResponse, LockResponse } from '../schemas.js';
import type { ApiServices } from '../services.js';

export function lockView(lock: DeployLock, now = Date.now()) {
  return {
    app: lock.app,
    owner: lock.owner,
    user: lock.user,
    acquiredAt: lock.acquiredAt,
    heartbeatAt: lock.heartbeatAt,
    expiresAt: lock.expiresAt,
    expired: isLockExpired(lock, now),
    description: describeLock(lock, now),
  };
}

export function lockRoutes(s: ApiServices): Route[] {
  // A first deploy locks an app that does not exist yet, so only an unlocked name must exist.
  const lockOf = (app: string) => {
    const lock = s.store.locks.get(app);
    if (!lock) requireApp(s.store, app);
    return lock;
  };
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/lock',
      summary: "The app's deploy lock: who holds it, since when, until when",
      access: 'read',
      tag: 'deploys',
      response: LockResponse,
      handler: ({ params }) => {
        const lock = lockOf(params.app!);
        return { lock: lock ? lockView(lock) : null };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}/lock',
      summary: "Break the app's deploy lock (its deployer is gone); records who broke it",
      // Deployers take the lock, so they may break one a dead deploy left.
      access: 'deploy',
      tag: 'deploys',
      response: LockReleaseResponse,
      handler: ({ params, user }) => {
        const released = s.store.locks.release(params.app!);
        if (!released) {
          requireApp(s.store, params.app!);
          return { released: null };
        }
        const view = lockView(released);
        s.store.events.append({
          app: released.app,
          kind: 'lock.released',
          message: `deploy lock of ${released.app} broken by ${user}; it was ${view.description}`,
          data: {
            brokenBy: user,
            owner: released.owner,
            user: released.user,
            acquiredAt: released.acquiredAt,
          },
        });
        return { released: view };
      },
    }),
  ];
}
