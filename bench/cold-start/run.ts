// Cold-start benchmark: how much berth adds to waking a stopped app, beyond the app's own boot.
//
//   npm run bench:cold-start -- [--wakes 20] [--checks http|none] [--time-limit 10] [--keep]
//
// One real daemon (`berth server` on port 0 in a temp home) and one app with
// auto_stop_machines = "stop", idle_timeout = "1s", min_machines_running = 0 and (by default)
// an HTTP health check. Each round:
//   1. wait (through the API) until berth's auto-stopper has stopped the app's machine.
//   2. boot: start the app's command directly (`/bin/sh -c "node server.js"` in a copy of its
//      tree, with a free PORT and the environment berth gives a machine, as the process driver
//      does) and time spawn → the app printing "listening" from its listen callback: the app's
//      own boot-to-listen time. Then kill it.
//   3. wake: one GET through berth's proxy on a new connection; time connect → first byte of
//      the response. berth starts the machine, waits for its check, routes it and forwards.
// added = wake − boot for the round. Prints the median and p95 of `added` (and of both parts)
// and the number of failed wakes (anything but a 200, or no answer within 30 s).
// Target: median added ≤ 50 ms, 0 failed wakes.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineEnv } from '../../src/core/machine-env.js';
import { allocatePort } from '../../src/drivers/process/free-port.js';
import { withHostBase } from '../../src/drivers/process/host-env.js';

interface Options {
  wakes: number;
  checks: 'http' | 'none';
  timeLimit: number;
  keep: boolean;
}

interface Round {
  bootMs: number;
  wakeMs: number | null;
  status: number;
  detail: string;
}

const APP = 'cold';
const COMMAND = 'node server.js';
const WAKE_TIMEOUT_MS = 30_000;

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/bench/cold-start → repository root
const root = path.resolve(here, '..', '..', '..');
const CLI = path.join(root, 'dist/src/cli/main.js');
const APP_SRC = path.join(root, 'bench/cold-start/app');

const children = new Set<ChildProcess>();
let daemon: ChildProcess | undefined;
let workDir: string | undefined;
let home: string | undefined;

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const wakes = Number(get('wakes') ?? 20);
  const timeLimit = Number(get('time-limit') ?? 10);
  const checks = get('checks') ?? 'http';
  if (!Number.isInteger(wakes) || wakes < 1)
    throw new Error(`--wakes must be a whole number ≥ 1 (got ${get('wakes')})`);
  if (!(timeLimit > 0)) throw new Error(`--time-limit must be minutes > 0 (got ${get('time-limit')})`);
  if (checks !== 'http' && checks !== 'none')
    throw new Error(`--checks must be http or none (got ${checks})`);
  return { wakes, checks, timeLimit, keep: argv.includes('--keep') };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
  delete env.BERTH_API_URL;
  delete env.BERTH_TOKEN;
  return env;
}

function berth(args: string[], cwd = root): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code: code ?? -1, output });
    });
  });
}

interface ServerInfo {
  pid: number;
  apiUrl: string;
  proxyUrl: string;
  domain: string;
}

async function startDaemon(): Promise<ServerInfo> {
  home = path.join(workDir!, 'home');
  mkdirSync(home, { recursive: true });
  const logFd = openSync(path.join(home, 'daemon.log'), 'a');
  const child = spawn(
    process.execPath,
    [CLI, 'server', '--home', home, '--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'],
    { stdio: ['ignore', logFd, logFd], env: cliEnv() },
  );
  daemon = child;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the daemon exited: ${daemonLog()}`);
    const file = path.join(home, 'server.json');
    if (existsSync(file)) {
      const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
      if (info.pid === child.pid) return info;
    }
    await sleep(50);
  }
  throw new Error(`the daemon did not start within 20 s: ${daemonLog()}`);
}

function daemonLog(): string {
  try {
    return readFileSync(path.join(home!, 'daemon.log'), 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

function berthToml(opts: Options): string {
  const lines = [
    '# Generated by bench/cold-start.',
    `app = "${APP}"`,
    'kill_signal = "SIGTERM"',
    'kill_timeout = "3s"',
    '',
    '[processes]',
    `app = "${COMMAND}"`,
    '',
    '[http_service]',
    'internal_port = 8080',
    'auto_stop_machines = "stop"',
    'auto_start_machines = true',
    'min_machines_running = 0',
    'idle_timeout = "1s"',
  ];
  if (opts.checks === 'http') {
    lines.push(
      '',
      '[[http_service.checks]]',
      'path = "/healthz"',
      'interval = "10s"',
      'timeout = "2s"',
      'grace_period = "1s"',
    );
  }
  return lines.join('\n') + '\n';
}

/** The app's machines, as the API lists them. */
function machineStates(info: ServerInfo): Promise<string[]> {
  const url = new URL(info.apiUrl);
  const token = readFileSync(path.join(home!, 'credentials'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname,
        port: Number(url.port),
        path: `/v1/apps/${APP}/machines`,
        headers: { authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`GET machines: ${res.statusCode} ${body}`));
          resolve((JSON.parse(body) as Array<{ state: string }>).map((m) => m.state));
        });
      },
    );
    req.on('error', reject);
  });
}

async function waitStopped(info: ServerInfo): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const states = await machineStates(info);
    if (states.length > 0 && states.every((s) => s === 'stopped')) return;
    await sleep(100);
  }
  throw new Error(`the app's machine did not stop within 30 s (idle_timeout is 1s): ${daemonLog()}`);
}

/**
 * The app's own boot: its command spawned as the process driver spawns it (same shell, same
 * environment berth gives a machine), until it prints that it listens. No polling, so nothing
 * here slows the boot or rounds it up.
 */
async function bootToListen(treeCopy: string): Promise<number> {
  const port = await allocatePort();
  const env = machineEnv({
    configEnv: {},
    app: APP,
    releaseVersion: 1,
    machineId: 'direct',
    processGroup: 'app',
  });
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', COMMAND], {
    cwd: treeCopy,
    env: { ...withHostBase(env, { ownUser: false }), PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening')) resolve(performance.now() - started);
      });
      child.once('exit', (code) => reject(new Error(`the app exited (${code}) before it listened`)));
      setTimeout(() => reject(new Error('the app did not listen within 20 s')), 20_000).unref();
    });
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    children.delete(child);
  }
}

/** One request through the proxy on a new connection: connect → first response byte. */
function wake(info: ServerInfo): Promise<{ ms: number | null; status: number; detail: string }> {
  const proxy = new URL(info.proxyUrl);
  const hostHeader = `${APP}.${info.domain}:${proxy.port}`;
  return new Promise((resolve) => {
    const started = performance.now();
    let firstByte: number | null = null;
    let response = '';
    const socket = net.connect({ host: proxy.hostname, port: Number(proxy.port), noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ms: null, status: 0, detail: `no answer within ${WAKE_TIMEOUT_MS / 1000} s` });
    }, WAKE_TIMEOUT_MS);
    socket.once('connect', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      firstByte ??= performance.now() - started;
      response += chunk.toString('latin1');
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ms: null, status: 0, detail: err.message });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      const body = response.slice(response.indexOf('\r\n\r\n') + 4).trim();
      resolve({ ms: firstByte, status, detail: status === 200 ? '' : `${status}: ${body.slice(0, 300)}` });
    });
  });
}

/** berth's own account of each wake: launch (process started) and ready (check passed), ms. */
async function wakePhases(info: ServerInfo): Promise<{ launched: number[]; ready: number[] }> {
  const url = new URL(info.apiUrl);
  const token = readFileSync(path.join(home!, 'credentials'), 'utf8').trim();
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname,
        port: Number(url.port),
        path: `/v1/apps/${APP}/events`,
        headers: { authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
  });
  const woken = (
    JSON.parse(body) as Array<{ kind: string; data: { launchedMs?: number; readyMs?: number } | null }>
  )
    .filter((e) => e.kind === 'machine.woken' && e.data)
    .map((e) => e.data!);
  return {
    launched: woken.map((d) => d.launchedMs ?? Number.NaN),
    ready: woken.map((d) => d.readyMs ?? Number.NaN),
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

async function cleanup(opts: Options | undefined): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  if (daemon && daemon.exitCode === null) {
    // SIGKILL, then the machine by its handle: on SIGTERM the daemon leaves machines running.
    const exited = new Promise((resolve) => daemon!.once('exit', resolve));
    daemon.kill('SIGKILL');
    await exited;
  }
  if (home) {
    const machines = path.join(home, 'machines');
    try {
      for (const { ref } of readHandles(machines)) {
        try {
          process.kill(-Number(ref), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } catch (err) {
      log(`could not read machine handles: ${String(err)}`);
    }
  }
  if (workDir && !opts?.keep) rmSync(workDir, { recursive: true, force: true });
  else if (workDir) log(`kept ${workDir}`);
}

/** The process driver's handle.json of every machine (pid as `ref`). */
function readHandles(machinesDir: string): Array<{ ref: string }> {
  if (!existsSync(machinesDir)) return [];
  const handles: Array<{ ref: string }> = [];
  for (const dir of readdirSafe(machinesDir)) {
    const file = path.join(machinesDir, dir, 'handle.json');
    if (existsSync(file))
      handles.push({ ref: String((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid) });
  }
  return handles;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const begun = Date.now();
  const watchdog = setTimeout(() => {
    log(`time limit of ${opts.timeLimit} min reached: stopping everything`);
    void cleanup(opts).then(() => process.exit(1));
  }, opts.timeLimit * 60_000);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping everything this bench started`);
      void cleanup(opts).then(() => process.exit(130));
    });
  }

  workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-cold-'));
  const appDir = path.join(workDir, 'app');
  cpSync(APP_SRC, appDir, { recursive: true });
  writeFileSync(path.join(appDir, 'berth.toml'), berthToml(opts));
  // The direct boots run in their own copy, as each berth machine does.
  const bootDir = path.join(workDir, 'boot');
  cpSync(APP_SRC, bootDir, { recursive: true });

  const info = await startDaemon();
  const deployed = await berth(['deploy', appDir], appDir);
  if (deployed.code !== 0) throw new Error(`the deploy failed:\n${deployed.output}`);
  log(`deployed ${APP}; ${opts.wakes} rounds of boot, stop, wake (checks: ${opts.checks})`);

  const rounds: Round[] = [];
  for (let i = 1; i <= opts.wakes; i++) {
    await waitStopped(info);
    // Right before the wake, with the daemon idle: both see the same machine load.
    const bootMs = await bootToListen(bootDir);
    const woke = await wake(info);
    rounds.push({ bootMs, wakeMs: woke.ms, status: woke.status, detail: woke.detail });
    log(
      `  round ${i}/${opts.wakes}: boot ${bootMs.toFixed(1)} ms, wake ${woke.ms === null ? '-' : woke.ms.toFixed(1)} ms, ${woke.status || woke.detail}`,
    );
  }

  const ok = rounds.filter((r) => r.status === 200 && r.wakeMs !== null);
  const failed = rounds.filter((r) => !ok.includes(r));
  const added = ok.map((r) => r.wakeMs! - r.bootMs);
  const boots = rounds.map((r) => r.bootMs);
  const wakes = ok.map((r) => r.wakeMs!);
  const median = quantile(added, 0.5);
  const pass = failed.length === 0 && median <= 50;

  console.log(
    `\ncommand: node ${path.relative(root, process.argv[1]!)} ${process.argv.slice(2).join(' ')}`.trimEnd(),
  );
  console.log(
    `${opts.wakes} wakes of a stopped one-machine app (checks: ${opts.checks}), ${os.cpus().length} CPUs, ` +
      `node ${process.version}, ${((Date.now() - begun) / 1000).toFixed(0)} s`,
  );
  const row = (label: string, values: number[]) =>
    `${label.padEnd(34)} median ${quantile(values, 0.5).toFixed(1).padStart(7)} ms   p95 ${quantile(values, 0.95).toFixed(1).padStart(7)} ms`;
  console.log(row('request → first byte (wake)', wakes));
  console.log(row("app's own boot → listen", boots));
  console.log(row('added by berth (wake − boot)', added));
  const phases = await wakePhases(info);
  console.log(row('  berth: request → process started', phases.launched));
  console.log(row('  berth: request → ready, routed', phases.ready));
  console.log(`failed wakes: ${failed.length} of ${rounds.length}`);
  for (const f of failed.slice(0, 5)) console.log(`  ${f.detail}`);
  console.log(`target: median added ≤ 50 ms and 0 failed wakes: ${pass ? 'met' : 'MISSED'}`);
  clearTimeout(watchdog);
  await cleanup(opts);
  if (!pass) process.exitCode = 1;
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
  await cleanup(undefined);
});
