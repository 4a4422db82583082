// Scale to zero with real machines through the real proxy and CLI, on each driver: idle
// machines stop, a request wakes one (concurrent requests share the wake, none sees a 502 or
// 503), min_machines_running keeps machines warm, deploys move stopped machines without
// starting them, and auto_start_machines = false or a machine that crashes on wake gets a clear 503.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventInfo, MachineInfo, VolumeInfo } from '../../src/sdk/types.js';
import { connect } from 'node:net';
import { dirSharedWithMachines, TestDaemon, eventually } from '../helpers/daemon.js';
import { Engine } from '../helpers/docker-engine.js';
import { engineVolumeOf } from '../helpers/docker-home.js';
import { addDockerfile, testDrivers } from '../helpers/drivers.js';

// Answers with its label and machine id; exits at start while the file CRASH_FLAG names exists.
const SERVER = `
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const label = readFileSync('label.txt', 'utf8').trim();
if (process.env.CRASH_FLAG && existsSync(process.env.CRASH_FLAG)) {
  console.error('crashing on purpose: ' + process.env.CRASH_FLAG + ' exists');
  process.exit(3);
}
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    const sick = process.env.SICK_FLAG && existsSync(process.env.SICK_FLAG);
    res.writeHead(sick ? 500 : 200);
    return res.end(sick ? 'sick' : 'ok');
  }
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(label + ' ' + process.env.BERTH_MACHINE_ID + '\\n');
  }, req.url === '/slow' ? 4000 : 20);
});
server.on('upgrade', (req, socket) => {
  socket.end('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n' + label);
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

/** Docker: where the app's volume of flag files is mounted. */
const FLAGS_IN_CONTAINER = '/flags';

for (const driver of testDrivers()) {
  describe(`scale to zero (${driver.name})`, { skip: driver.skip }, () => {
    let daemon: TestDaemon;
    let work: string;
    let n = 0;
    before(async () => {
      await driver.prepare();
      daemon = await TestDaemon.start();
      // Machines read flag files the test writes here.
      work = dirSharedWithMachines('berth-s2z-');
    });
    after(async () => {
      await daemon.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    interface SleepyApp {
      app: string;
      label: string;
      idleTimeout?: string;
      minRunning?: number;
      autoStart?: boolean;
      /** Process groups, each one machine, all serving HTTP. */
      groups?: string[];
      /** The machine exits at start while this file exists (a Flag's inMachine). */
      crashFlag?: string;
      /** /healthz answers 500 while this file exists (a Flag's inMachine). */
      sickFlag?: string;
      waitTimeout?: string;
      hardLimit?: number;
    }

    function writeApp(o: SleepyApp): string {
      const dir = join(work, `a${n++}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'server.js'), SERVER);
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(join(dir, 'label.txt'), o.label);
      addDockerfile(dir, driver.name);
      const groups = o.groups ?? ['app'];
      const lines = [
        `app = "${o.app}"`,
        'kill_timeout = "3s"',
        '',
        '[env]',
        `CRASH_FLAG = "${o.crashFlag ?? join(work, 'never-there')}"`,
        `SICK_FLAG = "${o.sickFlag ?? join(work, 'never-there')}"`,
        '',
        '[processes]',
        ...groups.map((g) => `${g} = "node server.js"`),
        '',
        '[deploy]',
        `wait_timeout = "${o.waitTimeout ?? '10s'}"`,
        '',
        ...(driver.name === 'docker' && (o.crashFlag || o.sickFlag)
          ? ['[mounts]', 'source = "flags"', `destination = "${FLAGS_IN_CONTAINER}"`, '']
          : []),
        '[http_service]',
        'internal_port = 8080',
        'auto_stop_machines = "stop"',
        `auto_start_machines = ${String(o.autoStart ?? true)}`,
        `min_machines_running = ${o.minRunning ?? 0}`,
        `idle_timeout = "${o.idleTimeout ?? '2s'}"`,
        `processes = [${groups.map((g) => `"${g}"`).join(', ')}]`,
        '',
        ...(o.hardLimit
          ? ['[http_service.concurrency]', 'type = "requests"', `hard_limit = ${o.hardLimit}`, '']
          : []),
        '[[http_service.checks]]',
        'path = "/healthz"',
        'interval = "1s"',
        'timeout = "1s"',
      ];
      writeFileSync(join(dir, 'berth.toml'), lines.join('\n') + '\n');
      return dir;
    }

    /**
     * A flag file machines read. Process: in a directory the test shares with its machines.
     * Docker: a container sees no directory of the host, so the app mounts a volume "flags" and
     * the test writes into that volume's storage, on the Engine's host (which runs the tests).
     */
    interface Flag {
      /** The path the machine checks (CRASH_FLAG, SICK_FLAG). */
      inMachine: string;
      /** The path the test writes, once the app has been deployed. */
      onHost(app: string): Promise<string>;
    }

    function flag(name: string): Flag {
      if (driver.name === 'process') {
        const path = join(work, name);
        return { inMachine: path, onHost: async () => path };
      }
      return {
        inMachine: `${FLAGS_IN_CONTAINER}/${name}`,
        onHost: async (app) => {
          const [volume] = await daemon.cliJson<VolumeInfo[]>(['volumes', 'list', '-a', app]);
          const found = await engineVolumeOf(new Engine(), volume!.id);
          assert.ok(found, `no Engine volume for ${app}'s volume ${volume?.id}`);
          return join(found.Mountpoint, name);
        },
      };
    }

    async function deploy(o: SleepyApp): Promise<string> {
      const result = await daemon.cli(['deploy', writeApp(o), ...driver.deployArgs]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      return result.stdout;
    }

    /** Waits until the app's machines are in these states (in any order). */
    async function statesBecome(app: string, want: string[], timeoutMs = 20_000): Promise<MachineInfo[]> {
      const list = await eventually(
        async () => {
          const list = await daemon.machines(app);
          const states = list.map((m) => m.state).sort();
          return JSON.stringify(states) === JSON.stringify([...want].sort()) ? list : false;
        },
        timeoutMs,
        `${app}'s machines to be ${want.join(', ')}`,
      );
      return list || [];
    }

    test('an idle app stops its machine; 20 concurrent requests share one wake and all get 200', async () => {
      await deploy({ app: 'sleepy', label: 'one' });
      const [before] = await daemon.machines('sleepy');
      assert.equal(before?.state, 'started');
      assert.equal((await daemon.proxied('sleepy')).status, 200);

      const [stopped] = await statesBecome('sleepy', ['stopped']);
      assert.equal(stopped?.id, before?.id, 'the same machine is kept, stopped');
      const stopEvent = (await daemon.events('sleepy')).find((e) => e.kind === 'machine.idle_stop');
      assert.match(
        stopEvent?.message ?? '',
        /machine \w+ \(app\) stopped after \d+s idle \(auto_stop_machines, idle_timeout 2s, min_machines_running 0\)/,
      );

      const responses = await Promise.all(Array.from({ length: 20 }, () => daemon.proxied('sleepy')));
      assert.deepEqual(
        responses.map((r) => r.status),
        Array(20).fill(200),
        responses.map((r) => r.body).join(''),
      );
      const served = new Set(responses.map((r) => r.headers['berth-machine']));
      assert.deepEqual([...served], [before?.id], 'every request was served by the one woken machine');
      assert.ok(responses.every((r) => r.body.startsWith('one ')));
      const woken = (await daemon.events('sleepy')).filter((e) => e.kind === 'machine.woken');
      assert.equal(woken.length, 1, 'one wake for all twenty requests');
      assert.match(woken[0]!.message, /woken by a request: launched in \d+ ms, ready in \d+ ms/);
      assert.equal((await daemon.machines('sleepy'))[0]?.state, 'started');
    });

    test('a deploy while every machine is stopped moves them to the new release without starting them', async () => {
      const [stopped] = await statesBecome('sleepy', ['stopped']);
      const output = await deploy({ app: 'sleepy', label: 'two' });
      assert.match(output, /\(stopped\) moved to v2; they stay stopped/);
      const after = await daemon.machines('sleepy');
      assert.deepEqual(
        after.map((m) => [m.id, m.state, m.releaseVersion]),
        [[stopped?.id, 'stopped', 2]],
      );
      // The next request wakes it on the new release.
      const res = await daemon.proxied('sleepy');
      assert.equal(res.status, 200, res.body);
      assert.match(res.body, /^two /);
    });

    test('min_machines_running = 1 keeps one machine started; a deploy replaces it and moves the stopped one', async () => {
      await deploy({ app: 'warm', label: 'one', groups: ['web', 'api'], minRunning: 1 });
      const started = await statesBecome('warm', ['started', 'stopped']);
      const warm = started.find((m) => m.state === 'started')!;
      const cold = started.find((m) => m.state === 'stopped')!;
      // Two more idle windows: the last started machine stays.
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const list = await daemon.machines('warm');
        assert.equal(list.find((m) => m.id === warm.id)?.state, 'started');
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal((await daemon.proxied('warm')).status, 200);

      const output = await deploy({ app: 'warm', label: 'two', groups: ['web', 'api'], minRunning: 1 });
      assert.match(output, new RegExp(`machine ${cold.id} \\(stopped\\) moved to v2; they stay stopped`));
      const after = await daemon.machines('warm');
      const moved = after.find((m) => m.id === cold.id);
      assert.deepEqual([moved?.state, moved?.releaseVersion], ['stopped', 2]);
      const replacement = after.find((m) => m.id !== cold.id);
      assert.notEqual(replacement?.id, warm.id, 'the warm machine was replaced');
      assert.deepEqual([replacement?.state, replacement?.releaseVersion], ['started', 2]);
      assert.equal(after.length, 2);
      assert.match((await daemon.proxied('warm')).body, /^two /);
    });

    test('auto_start_machines = false: a stopped app answers a clear 503 instead of waking', async () => {
      await deploy({ app: 'manual', label: 'one', autoStart: false });
      await statesBecome('manual', ['stopped']);
      const res = await daemon.proxied('manual');
      assert.equal(res.status, 503);
      assert.match(res.body, /auto_start_machines is off/);
      assert.match(res.body, /berth machine start/);
      assert.equal((await daemon.machines('manual'))[0]?.state, 'stopped', 'nothing was started');
    });

    test('a machine that crashes while waking: 503 saying so, stopped again, and the next request wakes it', async () => {
      const crash = flag('crash-now');
      await deploy({ app: 'fragile', label: 'one', crashFlag: crash.inMachine });
      const [machine] = await statesBecome('fragile', ['stopped']);
      const crashFile = await crash.onHost('fragile');
      writeFileSync(crashFile, 'x');
      const failed = await daemon.proxied('fragile');
      assert.equal(failed.status, 503);
      assert.match(failed.body, new RegExp(`machine ${machine?.id} exited before it was ready`));
      const event = (await daemon.events('fragile')).find((e) => e.kind === 'machine.wake_failed');
      assert.match(event?.message ?? '', /crashing on purpose/);
      assert.equal((await daemon.machines('fragile'))[0]?.state, 'stopped');
      assert.match(
        daemon.daemonLog(),
        /app fragile: machine \w+ could not be woken: it exited before it was ready/,
      );

      rmSync(crashFile);
      assert.ok(!existsSync(crashFile));
      const ok = await daemon.proxied('fragile');
      assert.equal(ok.status, 200, ok.body);
    });

    /** A raw upgrade request through the proxy; resolves with everything the proxy sent back. */
    function upgrade(app: string): Promise<string> {
      const url = new URL(daemon.info.proxyUrl);
      return new Promise((resolve, reject) => {
        const socket = connect({ host: url.hostname, port: Number(url.port) });
        let text = '';
        socket.on('connect', () =>
          socket.write(
            `GET /ws HTTP/1.1\r\nHost: ${app}.${daemon.info.domain}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`,
          ),
        );
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    }

    test('a machine whose check never passes: 503 after wait_timeout, the check failure in the event', async () => {
      const sick = flag('sick-now');
      // Long enough for a loaded machine to boot the app and answer its check at least once.
      await deploy({ app: 'sick', label: 'one', sickFlag: sick.inMachine, waitTimeout: '6s' });
      const [machine] = await statesBecome('sick', ['stopped']);
      writeFileSync(await sick.onHost('sick'), 'x');
      const failed = await daemon.proxied('sick');
      assert.equal(failed.status, 503);
      assert.match(failed.body, new RegExp(`machine ${machine?.id} was not ready within 6s`));
      assert.doesNotMatch(failed.body, /healthz/, 'check details stay out of the public answer');
      const event = (await daemon.events('sick')).find((e) => e.kind === 'machine.wake_failed');
      assert.match(event?.message ?? '', /GET \/healthz\) failing: 500/);
      assert.equal((await daemon.machines('sick'))[0]?.state, 'stopped');
    });

    test('an upgrade (WebSocket) to a stopped app wakes it too', async () => {
      await statesBecome('sleepy', ['stopped']);
      const answer = await upgrade('sleepy');
      assert.match(answer, /^HTTP\/1\.1 101 /);
      assert.match(answer, /two$/);
    });

    test('a client that goes away while held is dropped; the wake still completes', async () => {
      await statesBecome('sleepy', ['stopped']);
      const wakesBefore = (await daemon.events('sleepy')).filter((e) => e.kind === 'machine.woken').length;
      const url = new URL(daemon.info.proxyUrl);
      await new Promise<void>((resolve) => {
        const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
          socket.write(`GET / HTTP/1.1\r\nHost: sleepy.${daemon.info.domain}\r\n\r\n`);
          // Gone before the machine can possibly be ready.
          setImmediate(() => socket.destroy());
          resolve();
        });
      });
      // The wake's own record, not a state poll: the woken machine may be idle-stopped again
      // (idle_timeout 2s) before a slow `machine list` looks.
      const outcome = await eventually(
        async () => {
          const events = await daemon.events('sleepy');
          const failed = events.find((e) => e.kind === 'machine.wake_failed');
          if (failed) return failed.message;
          return events.filter((e) => e.kind === 'machine.woken').length > wakesBefore ? 'woken' : undefined;
        },
        30_000,
        "sleepy's wake to complete",
      );
      assert.equal(outcome, 'woken');
      const res = await daemon.proxied('sleepy');
      assert.equal(res.status, 200, res.body);
      assert.doesNotMatch(daemon.daemonLog(), /app sleepy|TypeError|ERR_/);
    });

    test('with a concurrency hard_limit, a machine at its limit gets a stopped one started beside it', async () => {
      await deploy({ app: 'busy', label: 'one', groups: ['web', 'api'], hardLimit: 1 });
      await statesBecome('busy', ['stopped', 'stopped']);
      // The slow request wakes one machine and keeps it at its limit for 4 s.
      const slow = daemon.proxied('busy', '/slow');
      const woken = await eventually<EventInfo[] | undefined>(
        async () => {
          const found = (await daemon.events('busy')).filter((e) => e.kind === 'machine.woken');
          return found.length === 2 ? found : undefined;
        },
        20_000,
        'a second machine woken for capacity',
      );
      assert.ok(woken);
      assert.match(woken[0]!.message, /woken by a request/);
      assert.match(woken[1]!.message, /woken by more capacity/);
      assert.notEqual(woken[0]!.machineId, woken[1]!.machineId);
      const res = await slow;
      assert.equal(res.status, 200);
      assert.equal(res.headers['berth-machine'], woken[0]!.machineId);
    });

    test('after a daemon restart, stopped machines stay stopped and the first request wakes one', async () => {
      const [stopped] = await statesBecome('sleepy', ['stopped']);
      await daemon.terminate();
      await daemon.boot();
      assert.deepEqual(
        (await daemon.machines('sleepy')).map((m) => [m.id, m.state]),
        [[stopped?.id, 'stopped']],
      );
      const res = await daemon.proxied('sleepy');
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers['berth-machine'], stopped?.id);
    });
  });
}
