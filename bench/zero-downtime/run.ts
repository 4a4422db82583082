// Zero-downtime benchmark: constant load through berth's proxy while the app is deployed again
// and again, one row per rollout strategy, plus a failing deploy and (when installed) the same
// app under `pm2 reload`.
//
//   npm run bench:zero-downtime -- [--deploys 10] [--rate 500] [--rows rolling-1,bluegreen,...]
//     --fresh 0.1 --slow 0.01     shares of requests on new connections / to /slow
//     --gap 1 --settle 2          seconds between deploys / of load before the first and after the last
//     --kill-timeout 3 --wait-timeout 15   written into berth.toml (and pm2's --kill-timeout)
//     --time-limit 15             minutes before the bench stops everything and fails
//     --keep                      keep the temp dir (daemon home, logs, app copies)
//   rows: rolling-1 rolling-3 canary bluegreen fail-crash fail-healthz immediate pm2
//
// Each row: a fresh app in one real daemon (`berth server` on port 0 in a temp home), one
// initial deploy, then the load generator (load.ts, its own process) sends --rate requests/s to
// the proxy — most on a keep-alive pool, --fresh of them on new connections, --slow of them to
// /slow (1 s) — and holds one /stream open, while this driver runs --deploys deploys through the
// real CLI, changing a file each time so that each is a new artifact. Target: 0 non-2xx, 0
// socket errors and 0 stream resets in every row but `immediate`, whose strategy allows downtime.
// A held stream must end when its machine is replaced: ending with a complete chunked response
// (the app does so on SIGINT, after the drain deadline) is a clean end and it is reopened;
// a reset, a cut-off response or a failed reopen is a stream reset. The failing rows deploy one
// release that crashes at start or answers /healthz with 500: the CLI must exit non-zero and
// the load must see nothing.
//
// The strategy is the only difference between the rows' berth.toml. A berth that does not
// implement a strategy yet runs its one strategy under that label: compare the rows again when
// the strategies land. Machine counts come from `berth machine list`, never from the row's
// wish: without `berth scale count` a 3-machine row runs, and says it runs, with 1.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { LoadResult, LoadSettings } from './load.js';
import { allocatePort } from '../../src/drivers/process/free-port.js';

type Strategy = 'rolling' | 'immediate' | 'canary' | 'bluegreen';

interface RowSpec {
  id: string;
  strategy: Strategy;
  /** Machines wanted; 3 needs `berth scale count`. */
  machines: number;
  /** A failing row deploys one release that must fail (CLI exit non-zero). */
  fail?: 'crash' | 'healthz';
  /** immediate: downtime is allowed, failures are reported but do not miss the target. */
  downtimeAllowed?: boolean;
  pm2?: boolean;
}

interface DeployRun {
  startedAt: number;
  endedAt: number;
  code: number;
  output: string;
}

interface RowResult {
  spec: RowSpec;
  label: string;
  machines: string;
  load: LoadResult;
  deploys: DeployRun[];
  expectCode: 'zero' | 'non-zero';
  notes: string[];
}

interface Options {
  deploys: number;
  rate: number;
  fresh: number;
  slow: number;
  gap: number;
  settle: number;
  killTimeout: number;
  waitTimeout: number;
  timeLimit: number;
  rows: string[];
  keep: boolean;
}

const ALL_ROWS: RowSpec[] = [
  { id: 'rolling-1', strategy: 'rolling', machines: 1 },
  { id: 'rolling-3', strategy: 'rolling', machines: 3 },
  // A canary of one machine is just a replacement; both need a set to be what they are.
  { id: 'canary', strategy: 'canary', machines: 3 },
  { id: 'bluegreen', strategy: 'bluegreen', machines: 3 },
  { id: 'fail-crash', strategy: 'rolling', machines: 1, fail: 'crash' },
  { id: 'fail-healthz', strategy: 'rolling', machines: 1, fail: 'healthz' },
  { id: 'immediate', strategy: 'immediate', machines: 1, downtimeAllowed: true },
  { id: 'pm2', strategy: 'rolling', machines: 1, pm2: true },
];

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/bench/zero-downtime → repository root
const root = path.resolve(here, '..', '..', '..');
const CLI = path.join(root, 'dist/src/cli/main.js');
const APP_SRC = path.join(root, 'bench/zero-downtime/app');
const LOAD = path.join(here, 'load.js');
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

// Everything started here, so that every exit path can stop it.
const children = new Set<ChildProcess>();
let daemon: ChildProcess | undefined;
let home: string | undefined;
let pm2: { cmd: string[]; home: string } | undefined;
let workDir: string | undefined;

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const num = (name: string, fallback: number): number => {
    const raw = get(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0 (got ${raw})`);
    return value;
  };
  const rows = (get('rows') ?? ALL_ROWS.map((r) => r.id).join(',')).split(',').filter(Boolean);
  for (const id of rows) {
    if (!ALL_ROWS.some((r) => r.id === id)) {
      throw new Error(`unknown row "${id}"; rows: ${ALL_ROWS.map((r) => r.id).join(', ')}`);
    }
  }
  return {
    deploys: Math.max(1, Math.floor(num('deploys', 10))),
    rate: num('rate', 500),
    fresh: num('fresh', 0.1),
    slow: num('slow', 0.01),
    gap: num('gap', 1),
    settle: num('settle', 2),
    killTimeout: num('kill-timeout', 3),
    waitTimeout: num('wait-timeout', 15),
    timeLimit: num('time-limit', 15),
    rows,
    keep: argv.includes('--keep'),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// --- berth ---

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
  // The CLI must find this bench's daemon through its home, never another one.
  delete env.BERTH_API_URL;
  delete env.BERTH_TOKEN;
  return env;
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : -1), output });
    });
  });
}

function berth(args: string[], cwd?: string) {
  return run(process.execPath, [CLI, ...args], { env: cliEnv(), ...(cwd ? { cwd } : {}) });
}

async function startDaemon(): Promise<{ proxyUrl: string; domain: string }> {
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
      const info = JSON.parse(readFileSync(file, 'utf8')) as {
        pid: number;
        proxyUrl: string;
        domain: string;
      };
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

/** Process groups of the machines the daemon recorded and has not destroyed. */
function machineGroups(): number[] {
  if (!home || !existsSync(path.join(home, 'berth.db'))) return [];
  const db = new Database(path.join(home, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT handle_json FROM machines WHERE state != 'destroyed' AND handle_json IS NOT NULL")
      .all() as { handle_json: string }[];
    // handle_json.ref is the pid leading the machine's process group.
    return rows.map((r) => Number((JSON.parse(r.handle_json) as { ref: string }).ref)).filter((p) => p > 1);
  } finally {
    db.close();
  }
}

/**
 * `berth scale count --help` alone is not proof: commander answers an unknown command given
 * --help with the top-level help and exit 0. The command's own usage line is.
 */
function hasScaleCount(): boolean {
  const r = spawnSync(process.execPath, [CLI, 'scale', 'count', '--help'], {
    env: cliEnv(),
    encoding: 'utf8',
  });
  return r.status === 0 && /Usage: berth scale count/.test(r.stdout);
}

async function machinesOf(app: string): Promise<number> {
  const r = await berth(['machine', 'list', '-a', app, '--json']);
  if (r.code !== 0) throw new Error(`berth machine list -a ${app} failed:\n${r.output}`);
  const list = JSON.parse(r.output) as Array<{ state: string; managed: boolean }>;
  return list.filter((m) => m.managed && m.state === 'started').length;
}

function berthToml(app: string, strategy: Strategy, opts: Options, fail = ''): string {
  return `# Generated by bench/zero-downtime; rows differ only in strategy (and ZD_FAIL).
app = "${app}"
kill_signal = "SIGINT"
kill_timeout = "${opts.killTimeout}s"

[deploy]
strategy = "${strategy}"
wait_timeout = "${opts.waitTimeout}s"

[processes]
app = "node server.js"

[env]
ZD_FAIL = "${fail}"

[http_service]
internal_port = 8080
processes = ["app"]

[[http_service.checks]]
path = "/healthz"
interval = "1s"
grace_period = "0s"
timeout = "1s"
`;
}

function prepareAppDir(name: string): string {
  const dir = path.join(workDir!, 'apps', name);
  mkdirSync(dir, { recursive: true });
  for (const file of ['server.js', 'package.json'])
    copyFileSync(path.join(APP_SRC, file), path.join(dir, file));
  return dir;
}

// --- load ---

function get(host: string, port: number, hostHeader: string, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(
      { host, port, path: urlPath, headers: { host: hostHeader }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitServing(host: string, port: number, hostHeader: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await get(host, port, hostHeader, '/')) === 200) return;
    await sleep(100);
  }
  throw new Error(`http://${host}:${port}/ (Host ${hostHeader}) did not answer 200 within 20 s`);
}

interface RunningLoad {
  stop(): Promise<LoadResult>;
}

async function startLoad(settings: LoadSettings): Promise<RunningLoad> {
  if (!LOOPBACK.has(settings.host)) throw new Error(`the load targets loopback only, not ${settings.host}`);
  const child = fork(LOAD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const message = (type: string) =>
    new Promise<{ type: string; result?: LoadResult }>((resolve, reject) => {
      const onMessage = (msg: { type: string; result?: LoadResult }) => {
        if (msg.type !== type) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(msg);
      };
      const onExit = (code: number | null) => reject(new Error(`the load generator exited (${code}) early`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const started = message('started');
  child.send({ type: 'start', settings });
  await started;
  return {
    async stop() {
      const done = message('result');
      child.send({ type: 'stop' });
      return (await done).result!;
    },
  };
}

// --- rows ---

async function deployRow(
  spec: RowSpec,
  opts: Options,
  proxy: URL,
  domain: string,
  scale: boolean,
): Promise<RowResult> {
  const app = `zd-${spec.id}`;
  const dir = prepareAppDir(app);
  const notes: string[] = [];
  const stampFile = path.join(dir, 'stamp.txt');
  const toml = path.join(dir, 'berth.toml');
  writeFileSync(stampFile, '0\n');
  writeFileSync(toml, berthToml(app, spec.strategy, opts));
  const first = await berth(['deploy', dir, '-a', app], dir);
  if (first.code !== 0) throw new Error(`the initial deploy of ${app} failed:\n${first.output}`);

  if (spec.machines > 1) {
    if (scale) {
      const r = await berth(['scale', 'count', String(spec.machines), '-a', app], dir);
      if (r.code !== 0)
        notes.push(`berth scale count ${spec.machines} failed (exit ${r.code}): ${r.output.trim()}`);
    } else {
      notes.push(
        `asked for ${spec.machines} machines; this berth has no \`berth scale count\`, so it ran with 1`,
      );
    }
  }
  const deadline = Date.now() + 20_000;
  let machines = await machinesOf(app);
  while (machines < spec.machines && scale && Date.now() < deadline) {
    await sleep(200);
    machines = await machinesOf(app);
  }
  const hostHeader = `${app}.${domain}:${proxy.port}`;
  await waitServing(proxy.hostname, Number(proxy.port), hostHeader);

  const load = await startLoad(loadSettings(opts, proxy.hostname, Number(proxy.port), hostHeader));
  const deploys: DeployRun[] = [];
  let result: LoadResult;
  try {
    await sleep(opts.settle * 1000);
    const count = spec.fail ? 1 : opts.deploys;
    for (let i = 1; i <= count; i++) {
      writeFileSync(stampFile, `${i}\n`);
      if (spec.fail) writeFileSync(toml, berthToml(app, spec.strategy, opts, spec.fail));
      const startedAt = Date.now();
      const r = await berth(['deploy', dir, '-a', app], dir);
      const endedAt = Date.now();
      deploys.push({ startedAt, endedAt, code: r.code, output: r.output });
      log(
        `  ${spec.id}: deploy ${i}/${count} exit ${r.code} in ${((endedAt - startedAt) / 1000).toFixed(2)} s`,
      );
      if (i < count) await sleep(opts.gap * 1000);
    }
    await sleep(opts.settle * 1000);
  } finally {
    result = await load.stop();
  }
  const after = await machinesOf(app);
  if (after !== machines) notes.push(`${machines} machine(s) before the deploys, ${after} after`);
  const destroyed = await berth(['apps', 'destroy', app, '--yes']);
  if (destroyed.code !== 0) notes.push(`apps destroy failed: ${destroyed.output.trim()}`);
  return {
    spec,
    label: spec.fail
      ? `failing (${spec.fail === 'crash' ? 'crash at start' : '/healthz 500'})`
      : spec.strategy,
    machines: machines < spec.machines ? `${machines}*` : String(machines),
    load: result,
    deploys,
    expectCode: spec.fail ? 'non-zero' : 'zero',
    notes,
  };
}

function loadSettings(opts: Options, host: string, port: number, hostHeader: string): LoadSettings {
  return {
    host,
    port,
    hostHeader,
    rate: opts.rate,
    freshFraction: opts.fresh,
    slowFraction: opts.slow,
    timeoutMs: 10_000,
    keepAliveSockets: 64,
  };
}

// --- pm2 ---

/** pm2 is never a dependency: a local or global install, found without asking the registry. */
function findPm2(): string[] | undefined {
  const local = path.join(root, 'node_modules/.bin/pm2');
  if (existsSync(local)) return [local];
  if (spawnSync('sh', ['-c', 'command -v pm2'], { stdio: 'ignore' }).status === 0) return ['pm2'];
  // npm_config_offline: --no-install alone still resolves the name against the registry.
  const npx = spawnSync('npx', ['--no-install', 'pm2', '--version'], {
    stdio: 'ignore',
    env: { ...process.env, npm_config_offline: 'true' },
  });
  return npx.status === 0 ? ['npx', '--no-install', 'pm2'] : undefined;
}

async function pm2Row(spec: RowSpec, opts: Options, cmd: string[]): Promise<RowResult> {
  const pm2Home = path.join(workDir!, 'pm2-home');
  mkdirSync(pm2Home, { recursive: true });
  pm2 = { cmd, home: pm2Home };
  const dir = prepareAppDir('zd-pm2');
  const stampFile = path.join(dir, 'stamp.txt');
  writeFileSync(stampFile, '0\n');
  const port = await allocatePort();
  const env = { ...process.env, PM2_HOME: pm2Home, PORT: String(port) };
  const pm2Run = (args: string[]) => run(cmd[0]!, [...cmd.slice(1), ...args], { cwd: dir, env });
  // Cluster mode with one instance: pm2's zero-downtime reload needs it. Same kill timeout as berth.
  const started = await pm2Run([
    'start',
    path.join(dir, 'server.js'),
    '--name',
    'zd-pm2',
    '-i',
    '1',
    '--kill-timeout',
    String(opts.killTimeout * 1000),
  ]);
  if (started.code !== 0) throw new Error(`pm2 start failed:\n${started.output}`);
  const hostHeader = `127.0.0.1:${port}`;
  await waitServing('127.0.0.1', port, hostHeader);
  const load = await startLoad(loadSettings(opts, '127.0.0.1', port, hostHeader));
  const deploys: DeployRun[] = [];
  let result: LoadResult;
  try {
    await sleep(opts.settle * 1000);
    for (let i = 1; i <= opts.deploys; i++) {
      writeFileSync(stampFile, `${i}\n`);
      const startedAt = Date.now();
      const r = await pm2Run(['reload', 'zd-pm2']);
      const endedAt = Date.now();
      deploys.push({ startedAt, endedAt, code: r.code, output: r.output });
      log(
        `  pm2: reload ${i}/${opts.deploys} exit ${r.code} in ${((endedAt - startedAt) / 1000).toFixed(2)} s`,
      );
      if (i < opts.deploys) await sleep(opts.gap * 1000);
    }
    await sleep(opts.settle * 1000);
  } finally {
    result = await load.stop();
    await pm2Run(['kill']);
    pm2 = undefined;
  }
  return {
    spec,
    label: 'pm2 reload',
    machines: '1',
    load: result,
    deploys,
    expectCode: 'zero',
    notes: ['pm2 cluster mode, 1 instance, load sent straight to its port (no proxy in front)'],
  };
}

// --- report ---

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function verdict(r: RowResult): string {
  const failed = r.load.non2xx + r.load.socketErrors + r.load.stream.resets;
  const codesOk = r.deploys.every((d) => (r.expectCode === 'zero' ? d.code === 0 : d.code !== 0));
  if (r.spec.downtimeAllowed) return failed > 0 ? 'downtime (allowed)' : 'ok';
  if (failed === 0 && codesOk) return 'ok';
  const why: string[] = [];
  if (failed > 0) why.push(`${failed} failed`);
  if (!codesOk) why.push(r.expectCode === 'zero' ? 'a deploy failed' : 'deploy exited 0');
  return `MISSED: ${why.join(', ')}`;
}

function printTable(results: RowResult[]): void {
  const rows = [
    [
      'strategy',
      'machines',
      'requests',
      'req/s',
      'non-2xx',
      'socket errors',
      'stream resets',
      'stream ends',
      'deploy p50 (s)',
      'deploy max (s)',
      'exit codes',
      'target',
    ],
  ];
  for (const r of results) {
    const times = r.deploys.map((d) => (d.endedAt - d.startedAt) / 1000);
    const seconds = (r.load.stoppedAt - r.load.startedAt) / 1000;
    const codes = new Map<number, number>();
    for (const d of r.deploys) codes.set(d.code, (codes.get(d.code) ?? 0) + 1);
    rows.push([
      r.label,
      r.machines,
      String(r.load.requests),
      (r.load.requests / seconds).toFixed(0),
      String(r.load.non2xx),
      String(r.load.socketErrors),
      String(r.load.stream.resets),
      String(r.load.stream.cleanEnds),
      quantile(times, 0.5).toFixed(2),
      Math.max(...times).toFixed(2),
      [...codes].map(([code, n]) => `${n}×${code}`).join(' '),
      verdict(r),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    );
}

function where(t: number, deploys: DeployRun[]): string {
  for (const [i, d] of deploys.entries()) {
    if (t >= d.startedAt && t <= d.endedAt)
      return `deploy #${i + 1} +${((t - d.startedAt) / 1000).toFixed(1)}s`;
  }
  return 'outside any deploy';
}

function printDetails(results: RowResult[]): void {
  for (const r of results) {
    const l = r.load;
    const lines: string[] = [];
    lines.push(
      `latency of / p50 ${l.latency.p50.toFixed(1)} ms, p99 ${l.latency.p99.toFixed(1)} ms, max ${l.latency.max.toFixed(0)} ms; ` +
        `${l.versions.length} release(s) answered; backlog max ${l.maxBacklog}`,
    );
    lines.push(
      `stream: ${l.stream.opened} opened, ${l.stream.cleanEnds} clean end(s), ${l.stream.resets} reset(s), ` +
        `${l.stream.lines} lines, longest silence ${l.stream.maxGapMs.toFixed(0)} ms, longest reconnect ${l.stream.maxReconnectMs.toFixed(0)} ms`,
    );
    if (l.failures.length < l.non2xx + l.socketErrors) {
      lines.push(`only the first ${l.failures.length} failures are located below`);
    }
    // How long each deploy failed requests: first to last failure inside its window.
    const spans = r.deploys.flatMap((d, i) => {
      const inside = l.failures.filter((f) => f.t >= d.startedAt && f.t <= d.endedAt).map((f) => f.t);
      return inside.length ? [`#${i + 1} ${Math.max(...inside) - Math.min(...inside)}`] : [];
    });
    if (spans.length) lines.push(`failing for (ms, first to last failed request): ${spans.join(', ')}`);
    for (const [what, n] of Object.entries(l.byWhat)) {
      const sample = l.failures.filter((f) => f.what === what);
      const places = new Map<string, number>();
      for (const f of sample) {
        const at = where(f.t, r.deploys).replace(/ \+.*/, '');
        places.set(at, (places.get(at) ?? 0) + 1);
      }
      const first = sample[0];
      lines.push(
        `${what} ×${n} (${[...places].map(([p, c]) => `${p}: ${c}`).join(', ')})` +
          (first
            ? `; e.g. ${first.path}${first.fresh ? ' on a new connection' : ' keep-alive'} at ${where(first.t, r.deploys)}: ${first.detail}`
            : ''),
      );
    }
    for (const e of l.stream.events.filter((e) => e.what !== 'clean end').slice(0, 5)) {
      lines.push(`stream ${e.what} at ${where(e.t, r.deploys)}: ${e.detail}`);
    }
    for (const [i, d] of r.deploys.entries()) {
      const expected = r.expectCode === 'zero' ? d.code === 0 : d.code !== 0;
      if (!expected) {
        const tail = d.output.trim().split('\n').slice(-6).join('\n      ');
        lines.push(`deploy #${i + 1} exited ${d.code}, expected ${r.expectCode}:\n      ${tail}`);
      }
    }
    const times = r.deploys.map((d) => ((d.endedAt - d.startedAt) / 1000).toFixed(1));
    lines.push(`deploy times (s): ${times.join(' ')}`);
    lines.push(...r.notes);
    console.log(`\n${r.label} (${r.spec.id}):\n  ${lines.join('\n  ')}`);
  }
}

// --- cleanup ---

async function cleanup(opts: Options | undefined): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  if (pm2) {
    spawnSync(pm2.cmd[0]!, [...pm2.cmd.slice(1), 'kill'], {
      env: { ...process.env, PM2_HOME: pm2.home },
      stdio: 'ignore',
      timeout: 20_000,
    });
  }
  if (daemon && daemon.exitCode === null) {
    // SIGKILL: on SIGTERM the daemon leaves its machines running, by design.
    const exited = new Promise((resolve) => daemon!.once('exit', resolve));
    daemon.kill('SIGKILL');
    await exited;
  }
  try {
    for (const pid of machineGroups()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch (err) {
    log(`could not read the machines table: ${String(err)}`);
  }
  if (workDir && !opts?.keep) rmSync(workDir, { recursive: true, force: true });
  else if (workDir) log(`kept ${workDir}`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
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

  workDir = mkdtempSync(path.join(os.tmpdir(), 'berth-zd-'));
  const info = await startDaemon();
  const proxy = new URL(info.proxyUrl);
  if (!LOOPBACK.has(proxy.hostname)) throw new Error(`the proxy listens on ${proxy.hostname}, not loopback`);
  const scale = hasScaleCount();
  if (!scale) {
    log('note: this berth has no `berth scale count`: rows that want 3 machines run with 1 (marked * below)');
  }

  const specs = ALL_ROWS.filter((r) => opts.rows.includes(r.id));
  const results: RowResult[] = [];
  let pm2Note: string | undefined;
  for (const spec of specs) {
    if (spec.pm2) {
      const cmd = findPm2();
      if (!cmd) {
        pm2Note = 'pm2: not installed (npm i -g pm2 to add the row)';
        log(pm2Note);
        continue;
      }
      log(`row pm2 reload (${cmd.join(' ')})`);
      results.push(await pm2Row(spec, opts, cmd));
      continue;
    }
    log(
      `row ${spec.id}: strategy ${spec.strategy}, ${spec.machines} machine(s)${spec.fail ? `, ZD_FAIL=${spec.fail}` : ''}`,
    );
    results.push(await deployRow(spec, opts, proxy, info.domain, scale));
  }

  const fresh = Math.round(opts.fresh * 100);
  const slow = Math.round(opts.slow * 100);
  console.log(
    `\ncommand: node ${path.relative(root, process.argv[1]!)} ${process.argv.slice(2).join(' ')}`.trimEnd(),
  );
  console.log(
    `load: ${opts.rate} req/s asked (${100 - fresh}% keep-alive, ${fresh}% new connections, ${slow}% /slow 1 s) + 1 held /stream, ` +
      `${opts.deploys} deploys per row ${opts.gap} s apart, kill_timeout ${opts.killTimeout}s, ${os.cpus().length} CPUs, ` +
      `berth ${info.proxyUrl}, ${((Date.now() - started) / 60_000).toFixed(1)} min`,
  );
  if (!scale) console.log('* fewer machines than the row asks for: this berth has no `berth scale count`');
  if (pm2Note) console.log(pm2Note);
  console.log('');
  printTable(results);
  printDetails(results);
  clearTimeout(watchdog);
  await cleanup(opts);
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
  await cleanup(undefined);
});
