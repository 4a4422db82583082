// The docker driver under a real daemon (DOCKER_HOST passed to it), driven by the real CLI,
// with requests through the real proxy: [[vm]] sizing and secrets reach the container as they
// should and no further; a daemon killed with SIGKILL leaves its containers serving and adopts
// them when it starts again; a container removed behind berth's back is replaced; scale to zero
// stops the container and a request starts it; a daemon stopped gracefully leaves them running.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from '../../src/sdk/types.js';
import { homeId } from '../../src/drivers/docker/names.js';
import { eventually, httpRequest, TestDaemon, type HttpResult } from '../helpers/daemon.js';
import { dockerHostForTests, dockerSkipReason, Engine } from '../helpers/docker-engine.js';
import { ensureTestImages } from '../helpers/docker-images.js';

const skip = dockerSkipReason();
const dockerHost = dockerHostForTests();
const suffix = randomBytes(3).toString('hex');
const SIZED = `dksized${suffix}`;
const SLEEPY = `dksleepy${suffix}`;
const PLAIN = `dkplain${suffix}`;
const SECRET = `s3cret-${randomBytes(12).toString('hex')}`;

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  res.end('hello ' + process.env.BERTH_MACHINE_ID + '\\n');
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

interface AppOptions {
  app: string;
  /** Lines for a [[vm]] section. */
  vm?: string[];
  /** Scale to zero after this idle time. */
  idleTimeout?: string;
  /** A [processes] command; without one the image's CMD runs. */
  command?: string;
}

let daemon: TestDaemon;
let engine: Engine;
let work: string;

function writeApp(o: AppOptions): string {
  const dir = join(work, o.app);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{}');
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n',
  );
  const lines = [
    `app = "${o.app}"`,
    'kill_signal = "SIGTERM"',
    'kill_timeout = "3s"',
    '',
    ...(o.command ? ['[processes]', `app = ${JSON.stringify(o.command)}`, ''] : []),
    '[deploy]',
    'wait_timeout = "30s"',
    '',
    '[http_service]',
    'internal_port = 8080',
    ...(o.idleTimeout
      ? ['auto_stop_machines = "stop"', 'min_machines_running = 0', `idle_timeout = "${o.idleTimeout}"`]
      : []),
    '',
    '[[http_service.checks]]',
    'path = "/healthz"',
    'interval = "1s"',
    'timeout = "1s"',
  ];
  if (o.vm) lines.push('', '[[vm]]', ...o.vm);
  writeFileSync(join(dir, 'fly.toml'), lines.join('\n') + '\n');
  return dir;
}

async function deploy(o: AppOptions, driver = 'docker'): Promise<string> {
  const result = await daemon.cli(['deploy', writeApp(o), '--driver', driver]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result.stdout;
}

interface ContainerSummary {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

interface ContainerInspect {
  Id: string;
  /** The image's id. */
  Image: string;
  State: { Running: boolean };
  Config: { Env: string[]; Labels: Record<string, string> };
  HostConfig: { Memory: number; NanoCpus: number };
}

/** The app's containers under this daemon's home, as the Engine lists them. */
async function containersOf(app: string): Promise<ContainerSummary[]> {
  const filters = JSON.stringify({ label: [`berth.home=${homeId(daemon.home)}`, `berth.app=${app}`] });
  return engine.json<ContainerSummary[]>(
    'GET',
    `/containers/json?all=1&filters=${encodeURIComponent(filters)}`,
  );
}

async function runningContainer(app: string): Promise<ContainerInspect> {
  const running = await eventually(
    async () => (await containersOf(app)).find((c) => c.State === 'running'),
    30_000,
    `a running container of ${app}`,
  );
  return engine.json<ContainerInspect>('GET', `/containers/${running!.Id}/json`);
}

async function startedMachine(app: string): Promise<MachineInfo> {
  return eventually<MachineInfo | undefined>(
    async () => (await daemon.machines(app)).find((m) => m.state === 'started' && m.address),
    30_000,
    `a started machine of ${app}`,
  ) as Promise<MachineInfo>;
}

/** A GET straight to a machine's address, not through the proxy. */
function direct(address: string): Promise<HttpResult> {
  const i = address.lastIndexOf(':');
  return httpRequest({
    host: address.slice(0, i),
    port: Number(address.slice(i + 1)),
    path: '/',
    method: 'GET',
    headers: {},
  });
}

async function served(app: string): Promise<HttpResult> {
  return eventually<HttpResult | undefined>(
    async () => {
      const res = await daemon.proxied(app);
      return res.status === 200 ? res : undefined;
    },
    30_000,
    `${app} to answer through the proxy`,
  ) as Promise<HttpResult>;
}

describe('docker driver under the daemon', { skip }, () => {
  before(async () => {
    engine = new Engine(dockerHost);
    await ensureTestImages(engine);
    work = mkdtempSync(join(tmpdir(), 'berth-docker-daemon-'));
    daemon = await TestDaemon.start({ DOCKER_HOST: dockerHost });
    assert.match(daemon.daemonLog(), /drivers: process, docker/);
  });

  after(async () => {
    if (daemon) {
      await daemon.destroy();
      const label = `berth.home=${homeId(daemon.home)}`;
      const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
      for (const c of await engine.json<ContainerSummary[]>(
        'GET',
        `/containers/json?all=1&filters=${filters}`,
      )) {
        await engine.call('DELETE', `/containers/${c.Id}?force=1&v=1`);
      }
      for (const app of [SIZED, SLEEPY, PLAIN]) {
        const refs = encodeURIComponent(JSON.stringify({ reference: [`berth/${app}`] }));
        for (const image of await engine.json<{ RepoTags?: string[] }[]>(
          'GET',
          `/images/json?filters=${refs}`,
        )) {
          for (const tag of image.RepoTags ?? []) await engine.call('DELETE', `/images/${tag}`);
        }
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('[[vm]] memory and cpus become the container limits', async () => {
    const output = await deploy({ app: SIZED, vm: ['memory = "256mb"', 'cpu_kind = "shared"', 'cpus = 1'] });
    assert.match(output, /driver docker/);
    assert.doesNotMatch(output, /not applied/);
    const container = await runningContainer(SIZED);
    assert.equal(container.HostConfig.Memory, 256 * 1024 * 1024);
    assert.equal(container.HostConfig.NanoCpus, 1_000_000_000);
    assert.equal((await served(SIZED)).status, 200);
  });

  test('a secret reaches the container env, and no label, API response or daemon log', async () => {
    const set = await daemon.cli(['secrets', 'set', `API_TOKEN=${SECRET}`, '-a', SIZED]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    assert.ok(!(set.stdout + set.stderr).includes(SECRET));
    const machine = await startedMachine(SIZED);
    assert.equal(machine.releaseVersion, 2);
    const container = await eventually(
      async () => {
        const c = await runningContainer(SIZED);
        return c.Config.Labels['berth.release'] === '2' ? c : undefined;
      },
      30_000,
      'the container of v2',
    );
    assert.ok(container!.Config.Env.includes(`API_TOKEN=${SECRET}`), 'the secret is in the env');
    assert.ok(!JSON.stringify(container!.Config.Labels).includes(SECRET), 'no label holds the secret');
    const image = await engine.json<{ Config: { Labels: Record<string, string> | null } }>(
      'GET',
      `/images/${container!.Image}/json`,
    );
    assert.ok(!JSON.stringify(image.Config.Labels ?? {}).includes(SECRET), 'no image label holds it');

    const paths = [
      '/v1/apps',
      `/v1/apps/${SIZED}`,
      `/v1/apps/${SIZED}/status`,
      `/v1/apps/${SIZED}/machines`,
      `/v1/apps/${SIZED}/events`,
      `/v1/apps/${SIZED}/releases`,
      `/v1/apps/${SIZED}/releases/2`,
      `/v1/apps/${SIZED}/releases/2/events`,
      `/v1/apps/${SIZED}/secrets`,
      `/v1/apps/${SIZED}/scale`,
      `/v1/apps/${SIZED}/logs?lines=1000`,
    ];
    for (const path of paths) {
      const res = await daemon.api('GET', path);
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      assert.ok(!res.body.includes(SECRET), `${path} shows the secret`);
    }
    assert.ok(!daemon.daemonLog().includes(SECRET), 'the daemon log holds the secret');
  });

  test('a daemon killed with SIGKILL leaves its container serving; started again, it adopts it by label', async () => {
    const machine = await startedMachine(SIZED);
    const before = await runningContainer(SIZED);
    daemon.kill9();
    await daemon.waitExit();

    // The proxy died with the daemon; the container answers at its own address.
    const res = await direct(machine.address!);
    assert.equal(res.status, 200);
    assert.equal(res.body, `hello ${machine.id}\n`);

    await daemon.boot({ DOCKER_HOST: dockerHost });
    const adopted = await eventually(
      async () =>
        (await daemon.events(SIZED)).find((e) => e.kind === 'machine.adopted' && e.machineId === machine.id),
      30_000,
      'the machine to be adopted',
    );
    assert.match(adopted!.message, /container [0-9a-f]{12}, published on 127\.0\.0\.1:\d+/);
    const through = await served(SIZED);
    assert.equal(through.headers['berth-machine'], machine.id);
    const now = await runningContainer(SIZED);
    assert.equal(now.Id, before.Id, 'the same container, not a new one');
  });

  test('a container removed behind berth’s back is noticed and replaced', async () => {
    const machine = await startedMachine(SIZED);
    const removed = await runningContainer(SIZED);
    const gone = await engine.call('DELETE', `/containers/${removed.Id}?force=1`);
    assert.equal(gone.status, 204, gone.body);

    const replacement = await eventually(
      async () => {
        const c = (await containersOf(SIZED)).find((c) => c.State === 'running' && c.Id !== removed.Id);
        return c && c.Labels['berth.machine'] === machine.id ? c : undefined;
      },
      30_000,
      'a new container for the machine',
    );
    assert.notEqual(replacement!.Id, removed.Id);
    const events = await daemon.events(SIZED);
    assert.ok(
      events.some((e) => e.kind === 'machine.exited' && e.machineId === machine.id),
      events.map((e) => e.message).join('\n'),
    );
    const res = await served(SIZED);
    assert.equal(res.headers['berth-machine'], machine.id);
  });

  test('scale to zero stops the container, and a request starts it again', async () => {
    await deploy({ app: SLEEPY, idleTimeout: '2s' });
    const [machine] = await daemon.machines(SLEEPY);
    assert.ok(machine);
    await eventually(
      async () => (await daemon.machines(SLEEPY))[0]?.state === 'stopped',
      30_000,
      'the idle machine to stop',
    );
    assert.deepEqual(
      (await containersOf(SLEEPY)).filter((c) => c.State === 'running'),
      [],
      'no container runs',
    );

    const res = await daemon.proxied(SLEEPY);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, `hello ${machine.id}\n`);
    assert.equal((await daemon.machines(SLEEPY))[0]?.state, 'started');
    assert.equal((await runningContainer(SLEEPY)).Config.Labels['berth.machine'], machine.id);
  });

  test('on the process driver, the deploy says [[vm]] is not applied', async () => {
    const output = await deploy(
      { app: PLAIN, vm: ['memory = "256mb"'], command: 'node server.js' },
      'process',
    );
    assert.match(output, /note: \[\[vm\]\] memory 256 MB is not applied by the process driver/);
  });

  test('a daemon stopped gracefully leaves its containers running', async () => {
    const machine = await startedMachine(SIZED);
    const code = await daemon.terminate();
    assert.equal(code, 0, daemon.daemonLog());
    assert.equal((await runningContainer(SIZED)).Config.Labels['berth.machine'], machine.id);
    assert.equal((await direct(machine.address!)).status, 200);
  });
});
