// Records made before there were drivers, brought to their present form once at start: every
// such release ran on the process driver from <home>/releases/<app>/v<N>/, and a `machine run
// --dir` machine from <home>/machine-trees/<digest>/ (where their trees still are).
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { HomeLayout } from './home.js';

export function upgradeLegacyRecords(store: Store, layout: HomeLayout): void {
  for (const { app, version } of store.releases.listLegacy()) {
    store.releases.setPrepared(app, version, {
      driver: 'process',
      dir: join(layout.releases, app, `v${version}`),
    });
  }
  for (const machine of store.machines.listLive()) {
    const config = machine.runConfig;
    if (!config?.artifactDigest || config.prepared) continue;
    const dir = join(layout.root, 'machine-trees', config.artifactDigest.replace(/^sha256:/, ''));
    store.machines.setRunConfig(machine.id, { ...config, prepared: { driver: 'process', dir } });
  }
}
