// ---------------------------------------------------------------------------------------------
// THE BERTH COLUMN: a rolling deploy of one machine with `berth deploy --driver docker`, and the
// wake of a stopped container through berth's proxy, on the same Engine, image and load as the
// baselines. The daemon is a `berth server --driver docker` of its own home, on the bench's
// Engine (DOCKER_HOST). Where the time went comes from berth's own events. On a build without
// the docker driver, berthAvailable() says why and the table shows the slot empty.
// ---------------------------------------------------------------------------------------------
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ServerInfo } from '../../src/daemon/server-info.js';
import type { EventInfo } from '../../src/sdk/types.js';
import type { BenchContext } from './baselines.js';
import { sleep } from './engine.js';
import { getStatus, quantile, underLoad, waitAnswers, type DeployRow, type WakeRow } from './measure.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = path.join(root, 'dist/src/cli/main.js');
const EXAMPLE = path.join(root, 'examples/docker-hello');
const DEPLOY_APP = 'bench-docker';
const WAKE_APP = 'bench-docker-wake';
const WAKE_CHECK_APP = 'bench-docker-wake-check';

export class BerthDaemon {
  private constructor(
    readonly home: string,
    readonly info: ServerInfo,
    private readonly child: ChildProcess,
    private readonly host: string,
  ) {}

  static async start(home: string, dockerHost: string): Promise<BerthDaemon> {
    mkdirSync(home, { recursive: true });
    const logFd = openSync(path.join(home, 'daemon.log'), 'a');
    const args = [
      'server',
      '--home',
      home,
      '--api',
      '127.0.0.1:0',
      '--proxy',
      '127.0.0.1:0',
      '--driver',
      'docker',
    ];
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', logFd, logFd],
      env: cliEnv(home, dockerHost),
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berth server --driver docker exited: ${tail(home)}`);
      const file = path.join(home, 'server.json');
      if (existsSync(file)) {
        const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
        if (info.pid === child.pid) return new BerthDaemon(home, info, child, dockerHost);
      }
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`berth server did not start within 30 s: ${tail(home)}`);
  }

  cli(args: string[], cwd: string): { code: number; output: string } {
    const run = spawnSync(process.execPath, [CLI, ...args], {
      cwd,
      env: cliEnv(this.home, this.host),
      encoding: 'utf8',
      timeout: 600_000,
    });
    return { code: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
  }

  hostHeader(app: string): string {
    return `${app}.${this.info.domain}:${new URL(this.info.proxyUrl).port}`;
  }

  get proxyPort(): number {
    return Number(new URL(this.info.proxyUrl).port);
  }

  /** GET on the daemon's API, with its admin token: the JSON answer. */
  async api<T>(apiPath: string): Promise<T> {
    const url = new URL(this.info.apiUrl);
    const token = readFileSync(path.join(this.home, 'credentials'), 'utf8').trim();
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        {
          host: url.hostname,
          port: Number(url.port),
          path: apiPath,
          headers: { authorization: `Bearer ${token}` },
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(text)
              : reject(new Error(`${apiPath}: ${res.statusCode} ${text}`)),
          );
        },
      );
      req.on('error', reject);
    });
    return JSON.parse(body) as T;
  }

  async machineStates(app: string): Promise<string[]> {
    return (await this.api<{ state: string }[]>(`/v1/apps/${app}/machines`)).map((m) => m.state);
  }

  events(app: string): Promise<EventInfo[]> {
    return this.api<EventInfo[]>(`/v1/apps/${app}/events`);
  }

  /** Destroys the apps (their containers go with them), then stops the daemon. */
  async stop(apps: string[]): Promise<void> {
    for (const app of apps) this.cli(['apps', 'destroy', app, '--yes'], root);
    this.child.kill('SIGTERM');
    await new Promise((resolve) =>
      this.child.exitCode !== null ? resolve(null) : this.child.once('exit', resolve),
    );
  }
}

function cliEnv(home: string, dockerHost: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: home, DOCKER_HOST: dockerHost, NO_COLOR: '1' };
  delete env.BERTH_API_URL;
  delete env.BERTH_TOKEN;
  return env;
}

function tail(home: string): string {
  try {
    return readFileSync(path.join(home, 'daemon.log'), 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** Undefined when this build can deploy with the docker driver; else why the berth column is empty. */
export async function berthAvailable(workDir: string, dockerHost: string): Promise<string | undefined> {
  const help = spawnSync(process.execPath, [CLI, 'deploy', '--help'], { encoding: 'utf8' });
  if (!help.stdout.includes('--driver'))
    return 'this build has no `berth deploy --driver`: the docker driver is not merged yet';
  try {
    const daemon = await BerthDaemon.start(path.join(workDir, 'probe-home'), dockerHost);
    await daemon.stop([]);
    return undefined;
  } catch (error) {
    return `\`berth server --driver docker\` does not start: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** The example app under `app`'s name, with extra fly.toml lines. */
function appDir(workDir: string, app: string, extra: string[]): string {
  const dir = path.join(workDir, app);
  cpSync(EXAMPLE, dir, { recursive: true });
  const toml = readFileSync(path.join(dir, 'fly.toml'), 'utf8').replace(/^app = .*$/m, `app = "${app}"`);
  writeFileSync(path.join(dir, 'fly.toml'), `${toml}${extra.join('\n')}\n`);
  return dir;
}

/** A rolling deploy of one machine onto a new release of the same source, under load through the proxy. */
export async function berthDeploy(
  ctx: BenchContext,
  daemon: BerthDaemon,
  workDir: string,
): Promise<DeployRow> {
  const dir = appDir(workDir, DEPLOY_APP, []);
  const deploy = (): void => {
    const result = daemon.cli(['deploy', '--driver', 'docker', '--strategy', 'rolling', dir], dir);
    if (result.code !== 0) throw new Error(`berth deploy failed:\n${result.output}`);
  };
  deploy(); // the first release: builds the image
  const target = { port: daemon.proxyPort, hostHeader: daemon.hostHeader(DEPLOY_APP) };
  await waitAnswers(target.port, target.hostHeader);
  let begun = 0;
  const { deployMs, load } = await underLoad(target, ctx.load, async () => {
    begun = Date.now();
    deploy();
  });
  return {
    label: 'berth deploy --driver docker (rolling)',
    deployMs,
    load,
    note: deploySteps(await daemon.events(DEPLOY_APP), 2, begun, deployMs),
  };
}

/** Where a deploy's time went, from its release's events: seconds from the command's start. */
function deploySteps(events: EventInfo[], version: number, begun: number, deployMs: number): string {
  const at = (kind: string, match: (e: EventInfo) => boolean = () => true): string => {
    const event = events.find((e) => e.kind === kind && match(e));
    return event ? `${((Date.parse(event.at) - begun) / 1000).toFixed(2)} s` : '?';
  };
  const ofRelease = (e: EventInfo): boolean => e.releaseVersion === version;
  const afterBegun = (e: EventInfo): boolean => Date.parse(e.at) >= begun;
  return (
    `from the command's start: release v${version} made ${at('release.created', ofRelease)}, ` +
    `image built ${at('deploy.step', (e) => ofRelease(e) && e.message.startsWith('rolling out'))}, ` +
    `new container started ${at('machine.started', ofRelease)}, healthy ${at('machine.healthy', ofRelease)}, ` +
    `old one destroyed ${at('machine.destroyed', afterBegun)}, command done ${(deployMs / 1000).toFixed(2)} s`
  );
}

/**
 * Wakes of a stopped container through berth's proxy: one request on a new connection, to its
 * answer. `check`: the app gets an HTTP check on /healthz, which the wake waits for; without
 * one, the wake waits until the machine's address accepts a connection.
 */
export async function berthWakes(
  daemon: BerthDaemon,
  workDir: string,
  rounds: number,
  check: boolean,
): Promise<WakeRow> {
  const app = check ? WAKE_CHECK_APP : WAKE_APP;
  const dir = appDir(workDir, app, [
    'auto_stop_machines = "stop"',
    'auto_start_machines = true',
    'min_machines_running = 0',
    'idle_timeout = "1s"',
    ...(check ? ['[[http_service.checks]]', 'path = "/healthz"', 'interval = "1s"', 'timeout = "1s"'] : []),
  ]);
  const deployed = daemon.cli(['deploy', '--driver', 'docker', dir], dir);
  if (deployed.code !== 0) throw new Error(`berth deploy failed:\n${deployed.output}`);
  const row: WakeRow = {
    label: check
      ? 'berth: request through the proxy → answer (HTTP check)'
      : 'berth: request through the proxy → answer (no check)',
    wakesMs: [],
    failed: 0,
  };
  const failures: Record<string, number> = {};
  const hostHeader = daemon.hostHeader(app);
  for (let i = 0; i < rounds; i++) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const states = await daemon.machineStates(app);
      if (states.length > 0 && states.every((s) => s === 'stopped')) break;
      if (Date.now() > deadline)
        throw new Error(`${app}'s machine did not stop within 60 s (idle_timeout 1s): ${states.join(', ')}`);
      await sleep(100);
    }
    const t0 = performance.now();
    const status = await getStatus(daemon.proxyPort, hostHeader, 30_000);
    if (status === 200) row.wakesMs.push(performance.now() - t0);
    else {
      row.failed++;
      const what = status === 0 ? 'no answer' : String(status);
      failures[what] = (failures[what] ?? 0) + 1;
    }
  }
  const woken = (await daemon.events(app)).filter((e) => e.kind === 'machine.woken');
  const median = (key: 'launchedMs' | 'readyMs'): string =>
    `${quantile(
      woken.map((e) => Number(e.data?.[key])),
      0.5,
    ).toFixed(0)} ms`;
  row.note =
    `berth's events, medians: container launched (driver start) ${median('launchedMs')}, ` +
    `ready ${median('readyMs')} after the wake began` +
    (row.failed > 0 ? `; failed answers: ${JSON.stringify(failures)}` : '');
  return row;
}

export const BERTH_APPS = [DEPLOY_APP, WAKE_APP, WAKE_CHECK_APP];
