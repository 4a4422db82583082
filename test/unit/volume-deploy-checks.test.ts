import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppConfig, DeployStrategy, MountConfig } from '../../src/core/config/types.js';
import { checkVolumeDeploy, mountsForGroup, type HeldVolume } from '../../src/core/volumes/deploy-checks.js';

const config = (mounts: MountConfig[]) => ({ mounts }) as unknown as AppConfig;
const mount = (source: string, extra: Partial<MountConfig> = {}): MountConfig => ({
  source,
  destination: '/data',
  processes: [],
  ...extra,
});
const held = (name: string, group = 'app'): HeldVolume => ({ machineId: 'm1', group, name });

test('mountsForGroup: mounts naming the group, and those naming none', () => {
  const c = config([
    mount('all'),
    mount('web_only', { processes: ['web'] }),
    mount('w', { processes: ['worker'] }),
  ]);
  assert.deepEqual(
    mountsForGroup(c, 'web').map((m) => m.source),
    ['all', 'web_only'],
  );
  assert.deepEqual(
    mountsForGroup(c, 'app').map((m) => m.source),
    ['all'],
  );
});

const cases: Array<{
  name: string;
  mounts: MountConfig[];
  strategy?: DeployStrategy;
  held?: HeldVolume[];
  code?: string;
  message?: RegExp;
  hint?: RegExp;
}> = [
  { name: 'first deploy with a mount', mounts: [mount('data')] },
  { name: 'same source again', mounts: [mount('data', { destination: '/new' })], held: [held('data')] },
  { name: 'no mounts, no volumes, any strategy', mounts: [], strategy: 'bluegreen' },
  { name: 'immediate is allowed', mounts: [mount('data')], strategy: 'immediate' },
  {
    name: 'mounts dropped: machines keep their volumes unmounted',
    mounts: [],
    held: [held('data')],
  },
  {
    name: 'a changed source names both',
    mounts: [mount('other')],
    held: [held('data')],
    code: 'volume_source_changed',
    message: /holds volume "data", but this release mounts source "other"/,
    hint: /Keep source = "data"/,
  },
  {
    name: 'another group may mount something else',
    mounts: [mount('other', { processes: ['worker'] })],
    held: [held('data', 'web')],
  },
  {
    name: 'canary with a mount',
    mounts: [mount('data')],
    strategy: 'canary',
    code: 'volumes_need_rolling',
    message: /canary strategy cannot be used with volumes/,
    hint: /rolling/,
  },
  {
    name: 'bluegreen while machines hold volumes',
    mounts: [],
    held: [held('data')],
    strategy: 'bluegreen',
    code: 'volumes_need_rolling',
  },
  {
    name: 'a source that is no volume name',
    mounts: [mount('My-Data')],
    code: 'invalid_config',
    message: /mounts.source "My-Data" is not a valid volume name/,
  },
  { name: 'a plain absolute destination', mounts: [mount('data', { destination: '/var/lib/app/' })] },
  {
    name: 'destination "/"',
    mounts: [mount('data', { destination: '/' })],
    code: 'invalid_config',
    message: /mounts.destination "\/" must not be "\/"/,
    hint: /destination = "\/data"/,
  },
  {
    name: 'a destination over the host system',
    mounts: [mount('data', { destination: '/usr/local' })],
    code: 'invalid_config',
    message: /is under \/usr, which the machine needs/,
  },
  {
    name: 'a destination with ..',
    mounts: [mount('data', { destination: '/data/../etc' })],
    code: 'invalid_config',
    message: /must not contain "." or ".." components/,
  },
  {
    name: 'two mounts of a group at one destination',
    mounts: [mount('data'), mount('logs', { destination: '/data/' })],
    code: 'invalid_config',
    message: /mounts\[1\].destination "\/data\/" is also mounts\[0\].destination/,
  },
  {
    name: 'two groups may each mount at the same path',
    mounts: [mount('a', { processes: ['web'] }), mount('b', { processes: ['worker'] })],
  },
  {
    name: 'an initial_size that is no size',
    mounts: [mount('data'), mount('logs', { destination: '/logs', initialSize: 'huge' })],
    code: 'invalid_config',
    message: /mounts\[1\].initial_size "huge" is not a size/,
  },
];

for (const c of cases) {
  test(`volume deploy checks: ${c.name}`, () => {
    const problem = checkVolumeDeploy({
      config: config(c.mounts),
      strategy: c.strategy ?? 'rolling',
      held: c.held ?? [],
    });
    if (!c.code) {
      assert.equal(problem, undefined);
      return;
    }
    assert.equal(problem?.code, c.code);
    assert.ok(problem.status >= 400 && problem.status < 500);
    if (c.message) assert.match(problem.message, c.message);
    if (c.hint) assert.match(problem.hint, c.hint);
  });
}
