// Apps as Fly users bring them, on the docker driver, through the real CLI and a real daemon
// with a real Engine: a Dockerfile app with no [processes] (the image's CMD runs), an app that
// is a `[build] image`, a build that fails and an image that cannot be pulled (both change
// nothing live), and an app moved process -> docker -> process under constant load through
// the proxy without one failed request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, MachineInfo, ReleaseInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon } from '../helpers/daemon.js';
import { Engine } from '../helpers/docker-engine.js';
import { containerOfMachine } from '../helpers/docker-home.js';
import { testDrivers } from '../helpers/drivers.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

const docker = testDrivers().find((d) => d.name === 'docker')!;
/** An image no registry has; none is reachable here anyway, so the pull must fail, not hang. */
const MISSING_IMAGE = 'berth-test.invalid/no-such-image:1';
/** A failed pull or build ends long before this; a CLI still waiting then has hung. */
const FAILS_WITHIN_MS = 120_000;

describe('docker apps', { skip: docker.skip }, () => {
  let daemon: TestDaemon;
  let work: string;
  before(async () => {
    await docker.prepare();
    daemon = await TestDaemon.start();
    work = mkdtempSync(join(tmpdir(), 'berth-docker-apps-'));
  });
  after(async () => {
    await daemon.destroy();
    // An image used as given is only tagged for its release (no label of this home): untag it.
    await new Engine().call('DELETE', '/images/berth/imaged:v1');
    rmSync(work, { recursive: true, force: true });
  });

  async function releases(app: string): Promise<ReleaseInfo[]> {
    return daemon.cliJson<ReleaseInfo[]>(['releases', '-a', app]);
  }

  async function appDriver(app: string): Promise<string | null | undefined> {
    return (await daemon.cliJson<AppInfo[]>(['apps', 'list'])).find((a) => a.name === app)?.driver;
  }

  /** Whether each machine is a running container of this daemon. */
  async function runningContainers(machines: MachineInfo[]): Promise<boolean[]> {
    const engine = new Engine();
    return Promise.all(
      machines.map(async (m) => (await containerOfMachine(engine, daemon.home, m.id))?.State === 'running'),
    );
  }

  /** The app's machines, the release it serves, and what it answers now: to compare after a failure. */
  async function liveState(app: string) {
    const machines = (await daemon.machines(app)).map((m) => [m.id, m.releaseVersion, m.state]);
    const res = await daemon.proxied(app);
    assert.equal(res.status, 200, res.body);
    return { machines, body: res.body };
  }

  test('a Dockerfile app without [processes] runs its image CMD on the docker driver', async () => {
    const out = await daemon.deploy(join(EXAMPLES, 'docker-hello'));
    // The server's default is process; the build makes it docker, and the output says why.
    assert.match(out, /driver docker: \[build\] dockerfile is Dockerfile/);
    assert.match(out, /Successfully built/);
    assert.match(out, /v1 is live/);
    const machines = await daemon.machines('docker-hello');
    assert.equal(machines.length, 1);
    assert.equal(machines[0]!.command, '', "the image's own CMD");
    assert.deepEqual(await runningContainers(machines), [true]);
    const res = await daemon.proxied('docker-hello');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, `hello from a container: release v1, machine ${machines[0]!.id}\n`);
    assert.equal(await appDriver('docker-hello'), 'docker');
  });

  test('a build that fails changes nothing live: its output says why and the previous release serves', async () => {
    const before = await liveState('docker-hello');
    const dir = join(work, 'docker-hello-broken');
    cpSync(join(EXAMPLES, 'docker-hello'), dir, { recursive: true });
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    writeFileSync(
      join(dir, 'Dockerfile'),
      dockerfile.replace('COPY . .\n', 'COPY . .\nRUN echo "the tests break this build" && exit 7\n'),
    );
    const result = await daemon.cli(['deploy', dir], { timeoutMs: FAILS_WITHIN_MS });
    assert.notEqual(result.code, 0, result.stdout);
    const output = result.stdout + result.stderr;
    assert.match(output, /│ the tests break this build/, 'the build output reaches the deploy');
    assert.match(output, /release v2 failed: the image build failed: .*returned a non-zero code: 7/);
    assert.match(output, /hint: .*what is live has not changed/);
    assert.match(output, /Deploy failed; the previous release keeps serving/);
    const [latest] = await releases('docker-hello');
    assert.deepEqual([latest!.version, latest!.status], [2, 'failed']);
    assert.match(latest!.failureReason ?? '', /the image build failed/);
    assert.deepEqual(await liveState('docker-hello'), before);
  });

  /** An app that is an image: no Dockerfile, nothing of its directory in the image. */
  function imageApp(image: string): string {
    const dir = join(work, `image-${image.replace(/[^a-z0-9]+/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    const server =
      'require("node:http").createServer((q, s) => s.end("image " + process.env.BERTH_MACHINE_ID))' +
      '.listen(Number(process.env.PORT)); process.on("SIGTERM", () => process.exit(0))';
    writeFileSync(
      join(dir, 'fly.toml'),
      [
        'app = "imaged"',
        'kill_timeout = "3s"',
        '',
        '[build]',
        `image = "${image}"`,
        '',
        '[processes]',
        `app = ${JSON.stringify(`node -e '${server}'`)}`,
        '',
        '[http_service]',
        'internal_port = 8080',
        '',
        '[[http_service.checks]]',
        'path = "/"',
        'interval = "1s"',
        'timeout = "1s"',
        'grace_period = "0s"',
      ].join('\n') + '\n',
    );
    return dir;
  }

  test('a [build] image app runs that image with its [processes] command', async () => {
    const out = await daemon.deploy(imageApp('node:20-slim'));
    assert.match(out, /driver docker: \[build\] image is node:20-slim/);
    assert.match(out, /using image node:20-slim/);
    const machines = await daemon.machines('imaged');
    assert.equal(machines.length, 1);
    assert.deepEqual(await runningContainers(machines), [true]);
    const res = await daemon.proxied('imaged');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, `image ${machines[0]!.id}`);
  });

  test('an image that cannot be pulled fails with image_pull_failed naming it; nothing live changes', async () => {
    const before = await liveState('imaged');
    const result = await daemon.cli(['deploy', imageApp(MISSING_IMAGE)], { timeoutMs: FAILS_WITHIN_MS });
    assert.notEqual(result.code, 0, result.stdout);
    const output = result.stdout + result.stderr;
    // The reason and hint of image_pull_failed (a deploy's output gives no error codes).
    assert.match(
      output,
      /release v2 failed: could not pull image "berth-test\.invalid\/no-such-image:1": \S/,
    );
    assert.match(output, /hint: Check the image name and tag in \[build\] image/);
    assert.match(output, /Deploy failed; the previous release keeps serving/);
    const [latest] = await releases('imaged');
    assert.deepEqual([latest!.version, latest!.status], [2, 'failed']);
    assert.match(latest!.failureReason ?? '', /could not pull image "berth-test\.invalid\/no-such-image:1"/);
    assert.deepEqual(await liveState('imaged'), before);
  });

  test('a move whose build fails leaves the app on its driver', async () => {
    const app = 'stayer';
    const dir = writeRolloutApp(join(work, app), { app, label: 'one', driver: 'docker' });
    await daemon.deploy(dir, ['--driver', 'process']);
    const before = await liveState(app);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node:20-slim\nRUN exit 3\n');
    const moved = await daemon.cli(['deploy', dir, '--driver', 'docker'], { timeoutMs: FAILS_WITHIN_MS });
    assert.notEqual(moved.code, 0, moved.stdout);
    assert.match(moved.stdout, /release v2 failed: the image build failed/);
    assert.deepEqual(await liveState(app), before);
    assert.equal(await appDriver(app), 'process', "the app's driver is what runs it");
  });

  test('an app moves process -> docker -> process under constant load without a failed request', async (t) => {
    const app = 'mover';
    // The rollout app with a Dockerfile, and [processes] so that the process driver runs it too.
    const release = (label: string) =>
      writeRolloutApp(join(work, `${app}-${label}`), { app, label, driver: 'docker' });
    const onProcess = await daemon.deploy(release('proc1'), ['--driver', 'process']);
    assert.match(onProcess, /driver process: asked for with --driver/);
    assert.equal((await daemon.proxied(app)).body.split(' ')[0], 'proc1');

    const load = constantLoad(daemon, app);
    let result: LoadResult;
    let toDocker: string;
    let backToProcess: string;
    let onDocker: MachineInfo[];
    let containersOnDocker: boolean[];
    try {
      await load.served('proc1');
      toDocker = await daemon.deploy(release('dock2'), ['--driver', 'docker']);
      onDocker = await daemon.machines(app);
      containersOnDocker = await runningContainers(onDocker);
      await load.served('dock2');
      backToProcess = await daemon.deploy(release('proc3'), ['--driver', 'process']);
      await load.served('proc3');
    } finally {
      result = await load.stop();
    }
    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.total} requests failed`);
    assert.ok(result.total > 50, `only ${result.total} requests were sent`);
    t.diagnostic(`${result.total} requests through both moves, none failed`);

    assert.match(toDocker, /driver docker: asked for with --driver/);
    assert.match(toDocker, /building berth\/mover:v2 from Dockerfile/);
    assert.match(toDocker, /drained and stopped/);
    assert.deepEqual(
      onDocker.map((m) => m.releaseVersion),
      [2],
    );
    assert.deepEqual(containersOnDocker, [true], 'v2 ran as a container');

    assert.match(backToProcess, /driver process: asked for with --driver/);
    assert.match(backToProcess, /drained and stopped/);
    const now = await daemon.machines(app);
    assert.deepEqual(
      now.map((m) => m.releaseVersion),
      [3],
    );
    assert.ok(daemon.machinePids().has(now[0]!.id), 'v3 runs as a process');
    assert.deepEqual(await runningContainers(onDocker), [false], "v2's container is gone");
    assert.equal(await appDriver(app), 'process');
    assert.deepEqual(
      (await releases(app)).map((r) => [r.version, r.driver, r.status]),
      [
        [3, 'process', 'complete'],
        [2, 'docker', 'superseded'],
        [1, 'process', 'superseded'],
      ],
    );
  });
});

interface LoadResult {
  total: number;
  failures: string[];
}

/**
 * Requests through the proxy until stopped, from two loops on keep-alive connections and two on
 * a new connection each time; anything but a 200 (or no answer) is a failure. served(label)
 * waits until an answer came from a machine of that release (the app answers "label id").
 */
function constantLoad(daemon: TestDaemon, app: string) {
  const url = new URL(daemon.info.proxyUrl);
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const seen = new Set<string>();
  const failures: string[] = [];
  let total = 0;
  let running = true;

  const once = (agent: http.Agent | false) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get(
        {
          host: url.hostname,
          port: Number(url.port),
          path: '/',
          headers: { host: `${app}.${daemon.info.domain}:${url.port}` },
          agent,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
      req.on('error', reject);
    });

  const loop = async (agent: http.Agent | false) => {
    const kind = agent ? 'keep-alive' : 'new connection';
    while (running) {
      total++;
      try {
        const res = await once(agent);
        if (res.status === 200) seen.add(res.body.split(' ')[0]!);
        else failures.push(`${kind}: ${res.status} ${res.body.split('\n')[0]!.slice(0, 120)}`);
      } catch (err) {
        failures.push(`${kind}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  };
  const loops = [loop(keepAlive), loop(keepAlive), loop(false), loop(false)];

  return {
    async served(label: string): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!seen.has(label)) {
        if (Date.now() > deadline) throw new Error(`no answer from release ${label} under load`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      keepAlive.destroy();
      return { total, failures };
    },
  };
}
