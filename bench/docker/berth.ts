// ---------------------------------------------------------------------------------------------
// THE BERTH COLUMN: a rolling deploy of one machine with `berth deploy --driver docker`, and the
// wake of a stopped container through berth's proxy, on the same Engine, image and load as the
// baselines. Written against the CLI, it runs once this build has the docker driver (the
// daemon starts with `--driver docker` and `berth deploy` has `--driver`); until then
// berthAvailable() says why not and the table shows the slot empty.
// ---------------------------------------------------------------------------------------------
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ServerInfo } from '../../src/daemon/server-info.js';
import type { BenchContext } from './baselines.js';
import { sleep } from './engine.js';
import { getStatus, underLoad, waitAnswers, type DeployRow, type WakeRow } from './measure.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = path.join(root, 'dist/src/cli/main.js');
const EXAMPLE = path.join(root, 'examples/docker-hello');
const DEPLOY_APP = 'bench-docker';
const WAKE_APP = 'bench-docker-wake';

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

  async machineStates(app: string): Promise<string[]> {
    const url = new URL(this.info.apiUrl);
    const token = readFileSync(path.join(this.home, 'credentials'), 'utf8').trim();
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        {
          host: url.hostname,
          port: Number(url.port),
          path: `/v1/apps/${app}/machines`,
          headers: { authorization: `Bearer ${token}` },
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(text) : reject(new Error(`machines: ${res.statusCode} ${text}`)),
          );
        },
      );
      req.on('error', reject);
    });
    return (JSON.parse(body) as { state: string }[]).map((m) => m.state);
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
  const { deployMs, load } = await underLoad(target, ctx.load, async () => deploy());
  return { label: 'berth deploy --driver docker (rolling)', deployMs, load };
}

/** Wakes of a stopped container through berth's proxy: one request on a new connection, to its answer. */
export async function berthWakes(daemon: BerthDaemon, workDir: string, rounds: number): Promise<WakeRow> {
  const dir = appDir(workDir, WAKE_APP, [
    'auto_stop_machines = "stop"',
    'auto_start_machines = true',
    'min_machines_running = 0',
    'idle_timeout = "1s"',
  ]);
  const deployed = daemon.cli(['deploy', '--driver', 'docker', dir], dir);
  if (deployed.code !== 0) throw new Error(`berth deploy failed:\n${deployed.output}`);
  const row: WakeRow = { label: 'berth: request through the proxy → answer', wakesMs: [], failed: 0 };
  const hostHeader = daemon.hostHeader(WAKE_APP);
  for (let i = 0; i < rounds; i++) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const states = await daemon.machineStates(WAKE_APP);
      if (states.length > 0 && states.every((s) => s === 'stopped')) break;
      if (Date.now() > deadline)
        throw new Error(`${WAKE_APP}'s machine did not stop within 60 s (idle_timeout 1s)`);
      await sleep(100);
    }
    const t0 = performance.now();
    const status = await getStatus(daemon.proxyPort, hostHeader, 30_000);
    if (status === 200) row.wakesMs.push(performance.now() - t0);
    else row.failed++;
  }
  return row;
}

export const BERTH_APPS = [DEPLOY_APP, WAKE_APP];
