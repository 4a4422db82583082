// `berth apps destroy`: stops every machine of an app and removes it with its routes, volumes,
// hostnames, releases and files. It holds the app's deploy lock while it works, like a deploy
// or a scale, so it never pulls machines from under one: while either runs, it is refused at
// once naming the holder, and the deploy or scale goes on untouched.
import { randomUUID } from 'node:crypto';
import { BerthError, isBerthError } from '../core/errors.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { Store } from '../store/store.js';
import type { CertificateManager } from './certificates.js';
import type { DeployLocks, Lease } from './deploy-lock.js';
import type { DaemonDrivers } from './drivers.js';
import { forgetAppReleases } from './release-pruner.js';
import type { MachineSupervisor } from './supervisor.js';
import type { VolumeManager } from './volumes.js';

export interface AppDestroyerDeps {
  store: Store;
  supervisor: MachineSupervisor;
  routes: RouteTable;
  volumes: VolumeManager;
  certificates: CertificateManager;
  locks: DeployLocks;
  drivers: DaemonDrivers;
}

export class AppDestroyer {
  constructor(private readonly deps: AppDestroyerDeps) {}

  async destroy(app: string, user: string): Promise<{ destroyed: string }> {
    const { store } = this.deps;
    const lease = await this.lock(app, user);
    try {
      // Checked under the lock: another destroy may have finished meanwhile.
      if (!store.apps.get(app)) throw new BerthError('app_not_found', `app "${app}" does not exist`);
      const running = store.deployments.running(app);
      if (running) {
        throw new BerthError('deploy_in_progress', `app "${app}" is deploying v${running.releaseVersion}`, {
          hint: 'Wait for the deployment to finish, then destroy the app.',
        });
      }
      await Promise.all(store.machines.listByApp(app).map((m) => this.deps.supervisor.retire(m.id)));
      this.deps.routes.removeApp(app);
      await this.deps.volumes.destroyAll(app);
      this.deps.certificates.forgetApp(app);
      store.apps.delete(app);
      await forgetAppReleases(this.deps.drivers, app);
      store.events.append({ app, kind: 'app.destroyed', message: `app ${app} destroyed by ${user}` });
      return { destroyed: app };
    } finally {
      lease.release();
    }
  }

  private async lock(app: string, user: string): Promise<Lease> {
    try {
      return await this.deps.locks.acquire(app, {
        owner: `destroy by ${user} (${randomUUID().slice(0, 8)})`,
        user,
      });
    } catch (err) {
      if (!isBerthError(err) || err.code !== 'deploy_locked') throw err;
      throw new BerthError(err.code, err.message, {
        hint: `A deploy or scale of "${app}" is under way; destroy the app once it ends (\`berth lock status -a ${app}\` shows it).`,
        details: err.details,
      });
    }
  }
}
