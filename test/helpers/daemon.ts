// A real berth daemon in a temp home on port 0, driven by the real CLI, for integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ServerInfo } from '../../src/daemon/server-info.js';
import type { EventInfo, MachineInfo } from '../../src/sdk/types.js';
import type { DriverName } from '../../src/core/drivers.js';
import { removeDockerThingsOfHome } from './docker-home.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
export const EXAMPLES = join(REPO_ROOT, 'examples');
/** `berth server` with a hook that holds deployments at named steps (crash tests). */
const PAUSED_SERVER = join(REPO_ROOT, 'dist/test/helpers/paused-server.js');
/** No CLI command of the tests takes more than a minute or two, even on a loaded machine. */
const CLI_TIMEOUT_MS = 300_000;

/** A machine's handle as stored: process (pid; `ref` before drivers were typed) or docker. */
export interface StoredHandle {
  driver?: DriverName;
  pid?: number;
  ref?: string;
  containerId?: string;
  containerName?: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class TestDaemon {
  info!: ServerInfo;
  private child: ChildProcess | undefined;

  private constructor(readonly home: string) {}

  static async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<TestDaemon> {
    const daemon = new TestDaemon(mkdtempSync(join(tmpdir(), 'berth-it-')));
    await daemon.boot(extraEnv);
    return daemon;
  }

  get env(): NodeJS.ProcessEnv {
    // Every answer the daemon sends is checked against its route's response schema (a mismatch
    // is a 500 that fails the test that made the call).
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BERTH_HOME: this.home,
      NO_COLOR: '1',
      BERTH_CHECK_RESPONSES: '1',
    };
    delete env.BERTH_API_URL;
    delete env.BERTH_TOKEN;
    return env;
  }

  get token(): string {
    return readFileSync(join(this.home, 'credentials'), 'utf8').trim();
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /**
   * Starts `berth server` as a real child process and waits until it answers. With `pauseAt`
   * (steps such as "build" or "serve", see src/daemon/rollout/step-hook.ts), deployments stop
   * before those steps and write <home>/paused-at, so a test can kill the daemon there.
   */
  async boot(extraEnv: NodeJS.ProcessEnv = {}, options: { pauseAt?: string[] } = {}): Promise<void> {
    const log = openSync(join(this.home, 'daemon.log'), 'a');
    const args = ['server', '--home', this.home, '--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'];
    const command = options.pauseAt
      ? [PAUSED_SERVER, ...args, '--pause-at', options.pauseAt.join(',')]
      : [CLI, ...args];
    const child = spawn(process.execPath, command, {
      stdio: ['ignore', log, log],
      env: { ...this.env, ...extraEnv },
    });
    this.child = child;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`daemon exited: ${this.daemonLog()}`);
      const file = join(this.home, 'server.json');
      if (existsSync(file)) {
        const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
        if (info.pid === child.pid) {
          this.info = info;
          return;
        }
      }
      await sleep(50);
    }
    throw new Error(`daemon did not start: ${this.daemonLog()}`);
  }

  daemonLog(): string {
    try {
      return readFileSync(join(this.home, 'daemon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Runs the real CLI against this daemon. A command still running after `timeoutMs` (far
   * beyond any legitimate one) is killed and fails the test naming the command, so a hung
   * daemon shows which step it hung in.
   */
  cli(
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
  ): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: options.cwd ?? REPO_ROOT,
        env: { ...this.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const limit = options.timeoutMs ?? CLI_TIMEOUT_MS;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`berth ${args.join(' ')} did not finish within ${limit / 1000}s:\n${stderr}${stdout}`),
        );
      }, limit);
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.end(options.input ?? '');
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  async cliJson<T>(args: string[]): Promise<T> {
    const result = await this.cli([...args, '--json']);
    if (result.code !== 0)
      throw new Error(`berth ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T;
  }

  /** `berth deploy DIR [ARGS]` (e.g. a driver's deployArgs), which must succeed; its output. */
  async deploy(dir: string, args: string[] = []): Promise<string> {
    const result = await this.cli(['deploy', dir, ...args]);
    if (result.code !== 0)
      throw new Error(`berth deploy ${dir} exited ${result.code}: ${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  /** The app's machines, as `berth machine list` shows them. */
  machines(app: string): Promise<MachineInfo[]> {
    return this.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
  }

  /** The app's events, oldest first, from the API. */
  async events(app: string): Promise<EventInfo[]> {
    const res = await this.api('GET', `/v1/apps/${app}/events`);
    if (res.status !== 200) throw new Error(`GET /v1/apps/${app}/events answered ${res.status}: ${res.body}`);
    return JSON.parse(res.body) as EventInfo[];
  }

  /** An HTTP request to the daemon's proxy with the app's Host header. */
  proxied(app: string, path = '/', init: { method?: string; host?: string } = {}): Promise<HttpResult> {
    const url = new URL(this.info.proxyUrl);
    return httpRequest({
      host: url.hostname,
      port: Number(url.port),
      path,
      method: init.method ?? 'GET',
      headers: { host: init.host ?? `${app}.${this.info.domain}:${url.port}` },
    });
  }

  /** A request to the API; token: undefined sends none. */
  api(
    method: string,
    path: string,
    options: { token?: string | null; body?: Buffer | string; contentType?: string } = {},
  ) {
    const url = new URL(this.info.apiUrl);
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.contentType) headers['content-type'] = options.contentType;
    return httpRequest({ host: url.hostname, port: Number(url.port), path, method, headers }, options.body);
  }

  kill9(): void {
    this.child?.kill('SIGKILL');
  }

  async terminate(): Promise<number | null> {
    const child = this.child!;
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  async waitExit(): Promise<void> {
    const child = this.child!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => child.once('exit', resolve));
  }

  /** Machine process ids as the daemon recorded them (process driver machines only). */
  machinePids(): Map<string, number> {
    const pids = new Map<string, number>();
    for (const [id, handle] of this.machineHandles()) {
      if (handle.driver === 'docker') continue;
      // Handles before drivers were typed held the pid as `ref`.
      pids.set(id, handle.pid ?? Number(handle.ref));
    }
    return pids;
  }

  /**
   * What runs each machine as the daemon recorded it: its pid (process) or its container id
   * (docker), so a test can tell "the same machine, adopted" from "a new one" on either driver.
   */
  machineRefs(): Map<string, string> {
    const refs = new Map<string, string>();
    for (const [id, handle] of this.machineHandles())
      refs.set(id, handle.containerId ?? String(handle.pid ?? handle.ref));
    return refs;
  }

  /** Each live machine's stored handle, as the daemon recorded it. */
  machineHandles(): Map<string, StoredHandle> {
    const db = new Database(join(this.home, 'berth.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare(
          "SELECT id, handle_json FROM machines WHERE state != 'destroyed' AND handle_json IS NOT NULL",
        )
        .all() as { id: string; handle_json: string }[];
      return new Map(rows.map((r) => [r.id, JSON.parse(r.handle_json) as StoredHandle]));
    } finally {
      db.close();
    }
  }

  /**
   * Kills the daemon and every machine process group it recorded, removes the containers,
   * volumes and images its docker driver made, and removes the home.
   */
  async destroy(): Promise<void> {
    this.kill9();
    await this.waitExit();
    try {
      for (const pid of this.machinePids().values()) killGroup(pid);
    } catch {
      // no database yet
    }
    await removeDockerThingsOfHome(this.home);
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Pids of every live process whose environment names the app (machines and their children). */
/**
 * Live processes of an app's machines under one daemon home (its machines run in
 * <home>/machines/ID/app), so tests of other homes running at the same time never count.
 */
export function processesOfApp(app: string, home: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!environ.includes(`BERTH_APP=${app}`)) continue;
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(join(home, 'machines') + '/'))
        pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * The host's pid of the process an app's machine sees as `pid`: machines have PID namespaces
 * of their own where the host allows it, so what an app reports as its pid is not the host's.
 */
export function hostPidOf(app: string, home: string, pid: number): number {
  for (const candidate of processesOfApp(app, home)) {
    try {
      const ids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${candidate}/status`, 'utf8'))?.[1];
      if (Number(ids?.trim().split(/\s+/).at(-1)) === pid) return candidate;
    } catch {
      // gone
    }
  }
  throw new Error(`no process of app ${app} is pid ${pid} in its machine`);
}

/**
 * A directory the test and its machines both reach, to pass flag files: machines have a
 * private /tmp and, as root, a user of their own, so the test's own temp dir is not theirs.
 */
export function dirSharedWithMachines(prefix: string): string {
  const dir = mkdtempSync(join('/var/tmp', prefix));
  chmodSync(dir, 0o1777);
  return dir;
}

/** Host pids of live (not zombie) processes whose command line contains `marker`. */
export function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function httpRequest(
  options: { host: string; port: number; path: string; method: string; headers: Record<string, string> },
  body?: Buffer | string,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ ...options, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until fn returns a truthy value or the time runs out. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
