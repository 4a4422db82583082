// Rollout strategies on each driver: success, failure and auto-revert for each, the release
// command, and requests served throughout a rolling deploy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseInfo } from '../../src/sdk/types.js';
import { TestDaemon } from '../helpers/daemon.js';
import { testDrivers } from '../helpers/drivers.js';
import { writeRolloutApp, type RolloutAppOptions } from '../helpers/rollout-app.js';

for (const driver of testDrivers()) {
  describe(`rollouts (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let work: string;
    let n = 0;
    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      work = mkdtempSync(join(tmpdir(), 'berth-rollouts-'));
    });
    after(async () => {
      await daemon?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    function deploy(o: RolloutAppOptions, extra: string[] = []) {
      const dir = writeRolloutApp(join(work, `r${n++}`), { ...o, driver: driver.name });
      return daemon.cli(['deploy', dir, ...driver.deployArgs, ...extra]);
    }

    async function servedLabel(app: string): Promise<string> {
      return (await daemon.proxied(app)).body.split(' ')[0]!;
    }

    test('rolling: a one-machine app is replaced while requests keep succeeding', async () => {
      assert.equal((await deploy({ app: 'roll', label: 'one' })).code, 0);
      let failures = 0;
      let total = 0;
      let running = true;
      const load = (async () => {
        while (running) {
          total++;
          const res = await daemon.proxied('roll').catch(() => ({ status: 0 }));
          if (res.status !== 200) failures++;
        }
      })();
      const result = await deploy({ app: 'roll', label: 'two' });
      running = false;
      await load;
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /check "[^"]+" \(GET \/healthz\) passing/);
      assert.match(result.stdout, /drained and stopped/);
      assert.equal(failures, 0, `${failures} of ${total} requests failed during the deploy`);
      assert.ok(total > 10);
      assert.equal(await servedLabel('roll'), 'two');
      assert.equal((await daemon.machines('roll')).length, 1);
    });

    test('rolling: a release whose health check answers 500 is reverted; the old release serves throughout', async () => {
      const before = await daemon.machines('roll');
      const result = await deploy({ app: 'roll', label: 'sick', behaviour: 'unhealthy', waitTimeout: '3s' });
      assert.equal(result.code, 4, result.stdout + result.stderr);
      assert.match(result.stdout, /500/);
      assert.match(result.stdout, /reverting to v2/);
      assert.equal(await servedLabel('roll'), 'two');
      const after = await daemon.machines('roll');
      assert.deepEqual(
        after.map((m) => m.id),
        before.map((m) => m.id),
      );
      const [latest] = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'roll']);
      assert.equal(latest!.status, 'failed');
      assert.match(latest!.failureReason ?? '', /not healthy within 3s/);
    });

    test('rolling: a crash-looping release fails at once with its last log lines, and is reverted', async () => {
      const started = Date.now();
      const result = await deploy({ app: 'roll', label: 'crashy', behaviour: 'crash', waitTimeout: '60s' });
      assert.equal(result.code, 4, result.stdout + result.stderr);
      assert.ok(Date.now() - started < 30_000, 'did not wait for the timeout');
      assert.match(result.stdout, /crashing on purpose/);
      assert.equal(await servedLabel('roll'), 'two');
    });

    // What the release command deploys printed, for the test after this one.
    const releaseCommandOutput: string[] = [];

    test('release command: runs before anything changes; a failure changes nothing live', async () => {
      const ok = await deploy({
        app: 'roll',
        label: 'three',
        releaseCommand: 'echo "migrating $(cat label.txt) with RELEASE_COMMAND=$RELEASE_COMMAND"',
      });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /running release command/);
      assert.equal(await servedLabel('roll'), 'three');
      const before = await daemon.machines('roll');

      const failed = await deploy({ app: 'roll', label: 'four', releaseCommand: 'echo migrating; exit 3' });
      releaseCommandOutput.push(ok.stdout, failed.stdout);
      assert.equal(failed.code, 3, failed.stdout + failed.stderr);
      assert.match(failed.stdout, /release command "echo migrating; exit 3" exited with code 3/);
      assert.equal(await servedLabel('roll'), 'three');
      assert.deepEqual(
        (await daemon.machines('roll')).map((m) => m.id),
        before.map((m) => m.id),
      );

      const skipped = await deploy({ app: 'roll', label: 'five', releaseCommand: 'exit 1' }, [
        '--skip-release-command',
      ]);
      assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr);
      assert.match(skipped.stdout, /release command skipped/);
    });

    test('release command: its output streams into the deploy, with RELEASE_COMMAND=1', () => {
      const [ok, failed] = releaseCommandOutput;
      assert.match(ok ?? '', /│ migrating three with RELEASE_COMMAND=1/);
      assert.match(failed ?? '', /│ migrating/);
    });

    test('immediate: says requests may fail, replaces everything without a health wait', async () => {
      const result = await deploy({ app: 'roll', label: 'quick', strategy: 'immediate' });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /requests may fail/);
      assert.doesNotMatch(result.stdout, /passing/);
      const after = await daemon.machines('roll');
      const [latest] = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'roll']);
      assert.equal(after.length, 1);
      assert.equal(after[0]!.releaseVersion, latest!.version);
      assert.equal(latest!.status, 'complete');
    });

    test('canary: one healthy machine first, then the rest; a failing canary is reverted', async () => {
      const result = await deploy({ app: 'roll', label: 'bird', strategy: 'canary' });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /one canary machine/);
      assert.equal(await servedLabel('roll'), 'bird');
      const failed = await deploy({ app: 'roll', label: 'deadbird', strategy: 'canary', behaviour: 'crash' });
      assert.equal(failed.code, 4);
      assert.equal(await servedLabel('roll'), 'bird');
    });

    test('bluegreen: refused without a health check; switches in one step; a failure leaves the old set untouched', async () => {
      const refused = await deploy({ app: 'blue', label: 'b1', strategy: 'bluegreen', healthCheck: false });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /bluegreen strategy needs a health check/);
      assert.match(refused.stderr, /hint: /);

      assert.equal((await deploy({ app: 'blue', label: 'b1', strategy: 'bluegreen' })).code, 0);
      const switched = await deploy({ app: 'blue', label: 'b2', strategy: 'bluegreen' });
      assert.equal(switched.code, 0, switched.stdout + switched.stderr);
      assert.match(switched.stdout, /cutover: machine \w+ now take traffic instead of machine \w+/);
      assert.equal(await servedLabel('blue'), 'b2');

      const before = await daemon.machines('blue');
      const runs = daemon.machineRefs();
      const failed = await deploy({
        app: 'blue',
        label: 'b3',
        strategy: 'bluegreen',
        behaviour: 'unhealthy',
        waitTimeout: '3s',
      });
      assert.equal(failed.code, 4, failed.stdout + failed.stderr);
      assert.doesNotMatch(failed.stdout, /cutover/);
      const after = await daemon.machines('blue');
      assert.deepEqual(
        after.map((m) => [m.id, m.startedAt]),
        before.map((m) => [m.id, m.startedAt]),
      );
      for (const m of after) assert.equal(daemon.machineRefs().get(m.id), runs.get(m.id));
      assert.equal(await servedLabel('blue'), 'b2');
    });
  });
}
