// Prepared releases an app no longer needs: all but its last 10 releases (the ones a rollback
// may reuse, like the artifacts kept) and the ones its machines still run. Each driver forgets
// its own (process: the trees; docker: the images). Never while the app deploys: a release
// being prepared is in no list yet.
import type { PreparedRelease } from '../core/drivers.js';
import type { Store } from '../store/store.js';
import type { DaemonDrivers } from './drivers.js';

export const KEPT_RELEASES = 10;

export async function pruneAppReleases(store: Store, drivers: DaemonDrivers, app: string): Promise<void> {
  if (store.deployments.running(app)) return;
  const keep: PreparedRelease[] = [];
  for (const release of store.releases.list(app).slice(0, KEPT_RELEASES)) {
    if (release.prepared) keep.push(release.prepared);
  }
  for (const machine of store.machines.listByApp(app)) {
    const prepared = store.releases.get(app, machine.releaseVersion)?.prepared;
    if (prepared) keep.push(prepared);
    if (machine.runConfig?.prepared) keep.push(machine.runConfig.prepared);
  }
  for (const driver of drivers.all()) {
    await driver.pruneReleases?.(
      app,
      keep.filter((p) => p.driver === driver.name),
    );
  }
}

/** Everything an app's releases left with every driver, when the app is destroyed. */
export async function forgetAppReleases(drivers: DaemonDrivers, app: string): Promise<void> {
  for (const driver of drivers.all()) await driver.pruneReleases?.(app, [], { appDestroyed: true });
}
