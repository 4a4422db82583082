// Failures reported as they happen, and an app's state at a glance, through the real CLI and
// daemon on each driver: a check answering 500 fails its batch after [deploy]
// max_unhealthy_checks failures in a row (with progress lines while it waits), long before
// wait_timeout; the failing machine's output stays readable in `releases show`; a failed first
// deploy leaves an app "never deployed"; a machine that keeps exiting shows as crashloop.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppSummaryInfo, EventInfo, ReleaseInfo, StatusInfo } from '../../src/sdk/types.js';
import { eventually, TestDaemon } from '../helpers/daemon.js';
import { addDockerfile, testDrivers } from '../helpers/drivers.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

/** Exits with code 1 two seconds after it starts, every time. */
const CRASHING_SERVER = `
import http from 'node:http';
console.log('up on ' + process.env.PORT + ', exiting soon');
http.createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));
setTimeout(() => { console.error('giving up on purpose'); process.exit(1); }, 2000);
`;

for (const driver of testDrivers()) {
  describe(`failure reports (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let work: string;
    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      work = mkdtempSync(join(tmpdir(), 'berth-failures-'));
    });
    after(async () => {
      await daemon?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('a check answering 500 fails the first deploy after max_unhealthy_checks, with progress lines and a hint that shows the output', async () => {
      const app = `sick-${driver.name}`;
      const dir = writeRolloutApp(join(work, 'sick'), {
        app,
        label: 'sick',
        behaviour: 'unhealthy',
        waitTimeout: '5m',
        driver: driver.name,
      });
      // 12 failures a second apart: longer than one 10 s progress interval, far from 5m.
      const toml = join(dir, 'berth.toml');
      writeFileSync(
        toml,
        readFileSync(toml, 'utf8').replace(
          'wait_timeout = "5m"',
          'wait_timeout = "5m"\nmax_unhealthy_checks = 12',
        ),
      );
      const result = await daemon.cli(['deploy', dir, ...driver.deployArgs]);
      const output = result.stdout + result.stderr;
      assert.equal(result.code, 4, output);
      assert.match(
        output,
        /machine \w+: still waiting after \d+s for check "[^"]+" \(GET \/healthz\): 500 Internal Server Error \(\d+ failures? in a row of 12 allowed\); \d+m\d*s? left of wait_timeout/,
      );
      assert.match(
        output,
        /not healthy: check "[^"]+" \(GET \/healthz\) failed 12 times in a row after its grace period: 500/,
      );
      assert.doesNotMatch(output, /not healthy within/);
      assert.match(output, new RegExp(`nothing was serving: ${app} has never been deployed`));
      const machineId =
        /hint: `berth releases show v1 -a [\w-]+` shows why and what machine (\w+) printed last/.exec(
          output,
        )?.[1];
      assert.ok(machineId, `the hint names the command and the machine:\n${output}`);

      // The command the hint names shows the failing machine's output, though the machine is gone.
      const show = await daemon.cli(['releases', 'show', 'v1', '-a', app]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /Release\s+v1 of [\w-]+ \(failed\)/);
      assert.match(show.stdout, /Failed\s+machine \w+: not healthy: check .* failed 12 times in a row/);
      assert.match(
        show.stdout,
        new RegExp(`Last output of machine ${machineId} \\(app\\), when it failed at `),
      );
      assert.match(show.stdout, /│ booting sick in mode unhealthy/);
      assert.ok(
        (await daemon.machines(app)).every((m) => m.id !== machineId),
        'the machine itself was removed',
      );
      const detail = await daemon.cliJson<{ release: ReleaseInfo; events: EventInfo[] }>([
        'releases',
        'show',
        'v1',
        '-a',
        app,
      ]);
      assert.equal(detail.release.failureOutput?.machineId, machineId);
      const waiting = detail.events.find((e) => e.kind === 'deploy.waiting');
      assert.ok(waiting, 'the progress lines are events, so --json carries them');
      assert.equal(waiting.data?.machineId, machineId);
      assert.equal(typeof waiting.data?.remainingMs, 'number');
      assert.match(String(waiting.data?.lastResult), /^500/);

      // Never deployed: in apps list, text and JSON.
      const apps = await daemon.cliJson<AppSummaryInfo[]>(['apps', 'list']);
      const listed = apps.find((a) => a.name === app);
      assert.deepEqual(
        [
          listed?.state,
          listed?.currentRelease,
          listed?.latestRelease?.version,
          listed?.latestRelease?.status,
        ],
        ['failed', null, 1, 'failed'],
      );
      const text = await daemon.cli(['apps', 'list']);
      assert.match(
        text.stdout,
        new RegExp(`^${app}\\s+failed \\(never deployed\\)\\s+never deployed\\s+0/0 started`, 'm'),
      );
    });

    test('a machine that keeps exiting shows as crashloop in status and apps list, with its last exit', async () => {
      const app = `loop-${driver.name}`;
      const dir = join(work, 'loop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'server.js'), CRASHING_SERVER);
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      addDockerfile(dir, driver.name);
      writeFileSync(
        join(dir, 'berth.toml'),
        `app = "${app}"\n[processes]\napp = "node server.js"\n[deploy]\nstrategy = "immediate"\n[http_service]\ninternal_port = 8080\n`,
      );
      await daemon.deploy(dir, driver.deployArgs);
      const status = (await eventually(
        async (): Promise<StatusInfo | false> => {
          const s = await daemon.cliJson<StatusInfo>(['status', '-a', app]);
          return s.app.state === 'crashloop' && s;
        },
        90_000,
        'the app to show as crash-looping',
      )) as StatusInfo;
      const [machine] = status.machines;
      assert.equal(machine?.crashLooping, true);
      assert.match(machine?.lastExit ?? '', /exit code 1/);
      assert.ok(status.app.restartsLastHour >= 2, JSON.stringify(status.app));
      assert.equal(status.app.machines.total, 1);

      const text = await daemon.cli(['status', '-a', app]);
      assert.match(text.stdout, /^State\s+crashloop$/m);
      assert.match(text.stdout, /crashloop \((started|restarting)\)/);
      assert.match(text.stdout, /is crash-looping \(last exit: exit code 1\): berth logs --machine \w+/);
      const list = await daemon.cli(['apps', 'list']);
      assert.match(list.stdout, new RegExp(`^${app}\\s+crashloop\\s+v1\\s`, 'm'));

      // The story in `berth events`: the deploy by the admin, the restarts by the daemon itself.
      const events: EventInfo[] = (await daemon.cli(['events', '-a', app, '--json'])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as EventInfo);
      assert.equal(events.find((e) => e.kind === 'release.complete')?.actor, 'admin');
      const restarted = events.find((e) => e.kind === 'machine.restarted');
      assert.ok(restarted, 'restarts are events');
      assert.equal(restarted.actor, null);
      assert.ok(events.some((e) => e.kind === 'machine.exited'));
      assert.ok(!events.some((e) => e.kind === 'machine.check' || e.kind === 'build.output'));
      await daemon.cli(['apps', 'destroy', app, '--yes']);
    });
  });
}
