// The daemon killed with SIGKILL at each step of a rolling and a bluegreen deployment (a
// test-only hook pauses the controller there), restarted, and converged to all-old or
// all-new on each driver: no orphan process or container, no duplicate machine, and the app
// answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo, ReleaseInfo, StatusInfo, VolumeInfo } from '../../src/sdk/types.js';
import { TestDaemon, eventually } from '../helpers/daemon.js';
import { testDrivers } from '../helpers/drivers.js';
import { machineRuns } from '../helpers/machine-runs.js';
import { writeRolloutApp, type Behaviour } from '../helpers/rollout-app.js';

interface Case {
  strategy: 'rolling' | 'bluegreen';
  step: string;
  behaviour?: Behaviour;
  /** Which release serves once the deployment has converged. */
  expect: 'old' | 'new';
  /** The app's machines hold volumes: they are replaced in place. */
  volume?: boolean;
}

const cases: Case[] = [
  { strategy: 'rolling', step: 'build', expect: 'old' },
  { strategy: 'rolling', step: 'start', expect: 'new' },
  { strategy: 'rolling', step: 'await-health', expect: 'new' },
  { strategy: 'rolling', step: 'serve', expect: 'new' },
  { strategy: 'rolling', step: 'retire', expect: 'new' },
  { strategy: 'rolling', step: 'done', expect: 'new' },
  { strategy: 'rolling', step: 'revert-retire', behaviour: 'unhealthy', expect: 'old' },
  { strategy: 'bluegreen', step: 'start', expect: 'new' },
  { strategy: 'bluegreen', step: 'await-health', expect: 'new' },
  { strategy: 'bluegreen', step: 'serve', expect: 'new' },
  { strategy: 'bluegreen', step: 'retire', expect: 'new' },
  { strategy: 'bluegreen', step: 'revert-retire', behaviour: 'crash', expect: 'old' },
  { strategy: 'rolling', step: 'replace-in-place', volume: true, expect: 'new' },
  { strategy: 'rolling', step: 'replace-in-place:stopped', volume: true, expect: 'new' },
  { strategy: 'rolling', step: 'await-health', volume: true, expect: 'new' },
  { strategy: 'rolling', step: 'serve', volume: true, expect: 'new' },
  {
    strategy: 'rolling',
    step: 'revert-replace-in-place',
    behaviour: 'unhealthy',
    volume: true,
    expect: 'old',
  },
];

// Volumes need a private mount namespace (root) on the process driver; volumes.test.ts checks
// the refusal elsewhere. Docker volumes are the Engine's.
const canMount = process.platform === 'linux' && process.getuid?.() === 0;

for (const driver of testDrivers()) {
  describe(`the daemon killed mid-deployment (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let work: string;
    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      work = mkdtempSync(join(tmpdir(), 'berth-crash-'));
    });
    after(async () => {
      await daemon?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    let index = 0;
    for (const c of cases) {
      const what = `${c.strategy}${c.volume ? ' with a volume' : ''}`;
      const skip =
        c.volume && driver.name === 'process' && !canMount ? 'needs root on Linux to mount volumes' : false;
      test(`${what}: killed at "${c.step}", restarted, converges to all-${c.expect}`, { skip }, async () => {
        const app = `crash-${index++}`;
        const deploy = (label: string, behaviour: Behaviour = 'ok', extra: string[] = []) =>
          daemon.cli([
            'deploy',
            writeRolloutApp(join(work, `${app}-${label}`), {
              app,
              label,
              behaviour,
              strategy: c.strategy,
              waitTimeout: '3s',
              driver: driver.name,
              ...(c.volume ? { mountDestination: join(work, `${app}-data`) } : {}),
            }),
            ...driver.deployArgs,
            ...extra,
          ]);
        const first = await deploy('old');
        assert.equal(first.code, 0, first.stdout + first.stderr);
        const firstVolume = c.volume
          ? (await daemon.cliJson<VolumeInfo[]>(['volumes', 'list', '-a', app]))[0]!.id
          : undefined;

        await daemon.terminate();
        await daemon.boot({}, { pauseAt: [c.step] });
        const paused = join(daemon.home, 'paused-at');
        const second = await deploy('new', c.behaviour, ['--detach']);
        assert.equal(second.code, 0, second.stdout + second.stderr);
        await eventually(() => existsSync(paused), 30_000, `the controller to pause at ${c.step}`);
        daemon.kill9();
        await daemon.waitExit();
        rmSync(paused);

        await daemon.boot();
        const release = await eventually(
          async () => {
            const [latest] = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', app]);
            return latest && latest.version === 2 && ['complete', 'failed'].includes(latest.status)
              ? latest
              : undefined;
          },
          40_000,
          'the deployment to finish after the restart',
        );
        assert.equal(release!.status, c.expect === 'new' ? 'complete' : 'failed');

        const status = await daemon.cliJson<StatusInfo>(['status', '-a', app]);
        assert.equal(status.deployment, null);
        const machines: MachineInfo[] = status.machines;
        const serving = c.expect === 'new' ? 2 : 1;
        assert.equal(
          machines.length,
          1,
          `one machine, got ${JSON.stringify(machines.map((m) => [m.id, m.releaseVersion, m.state]))}`,
        );
        assert.equal(machines[0]!.releaseVersion, serving);
        assert.equal(machines[0]!.state, 'started');
        assert.equal(status.app.currentRelease, serving);

        // Every recorded machine runs, and nothing of the app runs outside them.
        assert.deepEqual((await machineRuns(driver.name, daemon, app)).dead, []);
        await eventually(
          async () => (await machineRuns(driver.name, daemon, app)).stray.length === 0,
          10_000,
          'no process or container of the app outside its recorded machines',
        );
        const res = await daemon.proxied(app);
        assert.equal(res.status, 200);
        assert.equal(res.body.split(' ')[0], c.expect);
        if (c.volume) {
          // One volume, still the first one, attached to the machine that serves.
          const volumes = await daemon.cliJson<VolumeInfo[]>(['volumes', 'list', '-a', app]);
          assert.deepEqual(
            volumes.map((v) => v.machineId),
            [machines[0]!.id],
          );
          assert.equal(volumes[0]!.id, firstVolume);
        }
      });
    }
  });
}
