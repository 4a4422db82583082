// Edge proxy benchmark: the same keep-alive load against examples/hello directly and through
// each proxy, each in its own process, in interleaved rounds:
//
//   direct           examples/hello itself (the ceiling)
//   berth            berth's edge proxy, in one process (as the daemon runs it by default)
//   berth node:http  the same proxy with node's http client to the machine instead of its own
//                    pool and response parser (bench/proxy/node-http-upstream.ts)
//   berth node-server  the same proxy with node's http server reading clients' requests
//                    instead of berth's own (--proxy-http-server node)
//   berth Nw         the proxy in N worker processes sharing the listener (--proxy-workers N)
//   nginx            one worker, upstream keep-alive (when nginx is installed)
//   haproxy          one thread, connection reuse (when haproxy is installed)
//   berth base       with --base DIR: the proxy as another checkout of berth builds it (DIR's
//                    dist/), to measure what a change costs against the code before it
//
//   npm run bench:proxy -- [--duration 10] [--warmup 2] [--connections 50] [--rounds 3]
//                          [--tool autocannon|wrk] [--workers 1,2] [--targets berth,nginx,...]
//                          [--cpu N] [--base DIR]
//
// --cpu N runs everything (load generator, app, proxies) on CPU N alone. Throughput is then
// set by the CPU time each part spends per request, which on a small virtual machine is far
// steadier than two cores shared, or a proxy on a core of its own that sleeps between
// requests. Each berth column's per-round ratio to each baseline (berth base, haproxy, nginx)
// is kept, and their geometric mean printed with a 95% interval: with --base, the figure for
// "what did this change cost".
// autocannon (the default) runs inside this process; wrk needs far less CPU, which matters on a
// small machine where the load generator competes for the same cores as the backend and the
// proxy. Besides throughput and latency, the table shows the CPU time each process spent per
// request (from /proc, Linux only): on a shared machine that is steadier than requests per
// second. Rounds run every target in turn (each round starting one target later), so a noisy
// moment hits all of them; the table shows
// each target's median round and the range of its requests per second over the rounds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatePort } from '../../src/drivers/process/free-port.js';

interface Load {
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

interface Options {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  tool: 'wrk' | 'autocannon';
  /** Worker counts to measure the proxy with (`berth Nw` columns). */
  workers: number[];
  /** Only these targets (and direct); all when undefined. */
  targets: string[] | undefined;
  /** The one CPU everything runs on (--cpu N); all of them when undefined. */
  cpu: number | undefined;
  /** Another checkout whose built proxy is the `berth base` column (--base DIR). */
  base: string | undefined;
}

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/bench/proxy → repository root
const root = path.resolve(here, '..', '..', '..');
const baseProxyScript = 'dist/bench/proxy/proxy-process.js';
const children: ChildProcess[] = [];

const tempDirs: string[] = [];

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const tool = get('tool') ?? 'autocannon';
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error('--tool is wrk or autocannon');
  if (tool === 'wrk' && !onPath('wrk'))
    throw new Error('--tool wrk: wrk is not on PATH (apt-get install -y wrk)');
  const workers = (get('workers') ?? '1,2')
    .split(',')
    .filter((w) => w !== '' && w !== '0')
    .map(Number);
  if (workers.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) {
    throw new Error('--workers is a comma-separated list of worker counts (1-64), or 0 for none');
  }
  const targets = get('targets')
    ?.split(',')
    .map((t) => t.trim());
  const cpuArg = get('cpu');
  const cpu = cpuArg === undefined ? undefined : Number(cpuArg);
  if (cpu !== undefined && !(Number.isInteger(cpu) && cpu >= 0 && cpu < os.cpus().length))
    throw new Error(`--cpu is a CPU number from 0 to ${os.cpus().length - 1}`);
  if (cpu !== undefined && !onPath('taskset'))
    throw new Error('--cpu needs taskset (apt-get install -y util-linux)');
  const baseDir = get('base');
  const base = baseDir === undefined ? undefined : path.resolve(baseDir);
  if (base !== undefined && !existsSync(path.join(base, baseProxyScript)))
    throw new Error(
      `--base ${baseDir}: no ${baseProxyScript} there; run npm run build in that checkout first`,
    );
  return {
    workers,
    targets,
    cpu,
    base,
    rounds: Math.max(1, Number(get('rounds') ?? 3)),
    duration: Number(get('duration') ?? 10),
    warmup: Number(get('warmup') ?? 2),
    connections: Number(get('connections') ?? 50),
    tool,
  };
}

async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not listen on port ${port} within 10s`);
}

function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null)
      process.stderr.write(`${name} exited ${code}: ${stderr}\n`);
  });
  children.push(child);
  return child;
}

function nginxConfig(dir: string, port: number, backendPort: number): string {
  // One worker, like the single-threaded node proxy; upstream keep-alive, no access log.
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  upstream hello { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://hello;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

function haproxyConfig(port: number, backendPort: number): string {
  // One thread, like the single-threaded node proxy; idle server connections are reused by
  // any client connection (as berth's and nginx's pools do); no logging.
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend bench
  bind 127.0.0.1:${port}
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  default_backend hello
backend hello
  server hello1 127.0.0.1:${backendPort}
`;
}

function runWrk(url: string, host: string, seconds: number, connections: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, url];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p50 = /\s50%\s+([\d.]+)(us|ms|s)\b/.exec(out);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
      const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      if (!rps || !p50 || !p99) return reject(new Error(`cannot read wrk output:\n${out}`));
      const ms = (m: RegExpExecArray) => Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
      const socketErrorCount = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      resolve({
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
        requestsPerSec: Number(rps[1]),
        p50Ms: ms(p50),
        p99Ms: ms(p99),
        errors: Number(errors?.[1] ?? 0) + socketErrorCount,
      });
    });
  });
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

async function runAutocannon(url: string, host: string, seconds: number, connections: number): Promise<Load> {
  // autocannon ships no types; this is the slice of its programmatic API used here.
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const r = await autocannon({ url, connections, duration: seconds, headers: { host } });
  return {
    requests: r.requests.total,
    requestsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

async function load(opts: Options, url: string, host: string, seconds: number): Promise<Load> {
  return opts.tool === 'wrk'
    ? runWrk(url, host, seconds, opts.connections)
    : runAutocannon(url, host, seconds, opts.connections);
}

/** A target to measure, started on demand; undefined (with a line saying why) when absent. */
type TargetFactory = (backendPort: number) => Promise<Target | undefined>;

function berthProxy(
  name: string,
  extraArgs: string[],
  script = path.join(here, 'proxy-process.js'),
): TargetFactory {
  return async (backendPort) => {
    const port = await allocatePort();
    const proxy = start(name, process.execPath, [
      script,
      String(port),
      `127.0.0.1:${backendPort}`,
      ...extraArgs,
    ]);
    await waitForPort(port, proxy, name);
    return {
      name,
      url: `http://127.0.0.1:${port}/`,
      host: `hello.localhost:${port}`,
      // With workers, the proxying happens in the child processes.
      pids: () => [proxy.pid!, ...childPids(proxy.pid!)],
    };
  };
}

/**
 * A peer proxy from the host's packages, started on a config of its own in a temp dir; skipped
 * with a line when it is not installed.
 */
function peerTarget(peer: {
  name: string;
  aptPackage: string;
  configFile: string;
  config: (dir: string, port: number, backendPort: number) => string;
  args: (conf: string, dir: string) => string[];
  /** Whether its worker processes are children of the one started (nginx's master). */
  workersAreChildren: boolean;
}): TargetFactory {
  return async (backendPort) => {
    if (!onPath(peer.name)) {
      console.log(`skipping ${peer.name}: not on PATH (apt-get install -y ${peer.aptPackage})`);
      return undefined;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), `berth-bench-${peer.name}-`));
    tempDirs.push(dir);
    const port = await allocatePort();
    const conf = path.join(dir, peer.configFile);
    writeFileSync(conf, peer.config(dir, port, backendPort));
    const child = start(peer.name, peer.name, peer.args(conf, dir));
    await waitForPort(port, child, peer.name);
    return {
      name: peer.name,
      url: `http://127.0.0.1:${port}/`,
      host: `hello.localhost:${port}`,
      pids: () => (peer.workersAreChildren ? [child.pid!, ...childPids(child.pid!)] : [child.pid!]),
    };
  };
}

const nginxTarget = peerTarget({
  name: 'nginx',
  aptPackage: 'nginx-light',
  configFile: 'nginx.conf',
  config: nginxConfig,
  args: (conf, dir) => ['-c', conf, '-p', dir, '-e', path.join(dir, 'error.log')],
  // The master does nothing per request; its worker is a child process.
  workersAreChildren: true,
});

const haproxyTarget = peerTarget({
  name: 'haproxy',
  aptPackage: 'haproxy',
  configFile: 'haproxy.cfg',
  config: (_dir, port, backendPort) => haproxyConfig(port, backendPort),
  // -db: stay in the foreground; the process itself does the proxying (one thread).
  args: (conf) => ['-db', '-f', conf],
  workersAreChildren: false,
});

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.cpu !== undefined) {
    // Children started from here on inherit this process's CPU affinity.
    const pinned = spawnSync('taskset', ['-pc', String(opts.cpu), String(process.pid)], { stdio: 'ignore' });
    if (pinned.status !== 0) throw new Error(`taskset could not move the benchmark to CPU ${opts.cpu}`);
  }
  const helloPort = await allocatePort();
  const hello = start('hello', process.execPath, [path.join(root, 'examples/hello/server.js')], {
    PORT: String(helloPort),
  });
  await waitForPort(helloPort, hello, 'examples/hello');

  const factories: [string, TargetFactory][] = [
    [
      'direct',
      async () => ({
        name: 'direct',
        url: `http://127.0.0.1:${helloPort}/`,
        host: `127.0.0.1:${helloPort}`,
        pids: () => [],
      }),
    ],
    ['berth', berthProxy('berth', [])],
    ['berth node:http', berthProxy('berth node:http', ['--upstream', 'node-http'])],
    ['berth node-server', berthProxy('berth node-server', ['--proxy-http-server', 'node'])],
    ...opts.workers.map((n): [string, TargetFactory] => [
      `berth ${n}w`,
      berthProxy(`berth ${n}w`, ['--workers', String(n)]),
    ]),
    ['nginx', nginxTarget],
    ['haproxy', haproxyTarget],
    ...(opts.base === undefined
      ? []
      : [
          ['berth base', berthProxy('berth base', [], path.join(opts.base, baseProxyScript))] as [
            string,
            TargetFactory,
          ],
        ]),
  ];
  const targets: Target[] = [];
  for (const [name, factory] of factories) {
    if (opts.targets !== undefined && name !== 'direct' && !opts.targets.includes(name)) continue;
    try {
      const target = await factory(helloPort);
      if (target !== undefined) targets.push(target);
    } catch (err) {
      // A peer that is installed but will not start is left out; berth's own must start.
      if (name === 'nginx' || name === 'haproxy') {
        console.log(`skipping ${name}: ${err instanceof Error ? err.message : String(err)}`);
      } else {
        throw err;
      }
    }
  }

  console.log(
    `load: ${opts.tool}, ${opts.connections} keep-alive connections, ${opts.warmup}s warm-up + ${opts.duration}s per target, ` +
      `${opts.rounds} interleaved round${opts.rounds === 1 ? '' : 's'} (median shown), ${os.cpus().length} CPUs` +
      (opts.cpu === undefined ? ', ' : ` (all on CPU ${opts.cpu}), `) +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    // Each round starts at the next target, so none is always measured first or last.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const t of order) {
      if (opts.warmup > 0) await load(opts, t.url, t.host, opts.warmup);
      const proxyBefore = cpuMs(t.pids());
      const appBefore = cpuMs([hello.pid!]);
      const result = await load(opts, t.url, t.host, opts.duration);
      const perRequest = (before: number | undefined, after: number | undefined) =>
        before === undefined || after === undefined || result.requests === 0
          ? undefined
          : ((after - before) * 1000) / result.requests;
      runs.get(t.name)!.push({
        load: result,
        proxyUs: t.pids().length === 0 ? undefined : perRequest(proxyBefore, cpuMs(t.pids())),
        appUs: perRequest(appBefore, cpuMs([hello.pid!])),
      });
    }
    if (opts.rounds > 1)
      console.log(
        `round ${round + 1}: ${targets
          .map((t) => {
            const m = runs.get(t.name)![round]!;
            const cpu = m.proxyUs === undefined ? '' : ` (${m.proxyUs.toFixed(0)} µs/req)`;
            return `${t.name} ${m.load.requestsPerSec.toFixed(0)}${cpu}`;
          })
          .join(', ')}`,
      );
  }
  const results = targets.map((t) => {
    const all = runs.get(t.name)!.map((m) => m.load.requestsPerSec);
    return { name: t.name, ...median(runs.get(t.name)!), min: Math.min(...all), max: Math.max(...all) };
  });

  const rps = (name: string) => results.find((r) => r.name === name)?.load.requestsPerSec;
  const direct = rps('direct')!;
  const nginx = rps('nginx');
  const haproxy = rps('haproxy');
  const base = rps('berth base');
  const ratio = (v: number, of: number | undefined) => (of === undefined ? '-' : (v / of).toFixed(2));
  const us = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(0));
  const rows = [
    [
      'target',
      'req/s',
      'req/s range',
      'p50 ms',
      'p99 ms',
      'errors',
      'vs direct',
      'vs nginx',
      'vs haproxy',
      ...(base === undefined ? [] : ['vs base']),
      'proxy CPU µs/req',
      'app CPU µs/req',
    ],
    ...results.map((r) => [
      r.name,
      r.load.requestsPerSec.toFixed(0),
      `${r.min.toFixed(0)}-${r.max.toFixed(0)}`,
      r.load.p50Ms.toFixed(2),
      r.load.p99Ms.toFixed(2),
      String(r.load.errors),
      ratio(r.load.requestsPerSec, direct),
      ratio(r.load.requestsPerSec, nginx),
      ratio(r.load.requestsPerSec, haproxy),
      ...(base === undefined ? [] : [ratio(r.load.requestsPerSec, base)]),
      us(r.proxyUs),
      us(r.appUs),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  // Each berth column against each baseline measured in the same rounds.
  for (const baseline of ['berth base', 'haproxy', 'nginx']) {
    if (!runs.has(baseline)) continue;
    for (const t of targets) {
      if (!t.name.startsWith('berth') || t.name === baseline) continue;
      printPaired(t.name, runs.get(t.name)!, baseline, runs.get(baseline)!);
    }
  }

  await stopAll();
}

async function stopAll(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

interface Target {
  name: string;
  url: string;
  host: string;
  /** Processes doing the proxying, for CPU accounting. */
  pids: () => number[];
}

interface Measured {
  load: Load;
  proxyUs: number | undefined;
  appUs: number | undefined;
}

/**
 * One target against a baseline round by round: the geometric mean of the per-round ratios and
 * its 95% interval, for requests per second and for the proxy's CPU per request. Pairing the two
 * measured in the same round cancels most of what the machine does meanwhile.
 */
function printPaired(name: string, runs: Measured[], baseline: string, base: Measured[]): void {
  const line = (what: string, ratios: number[]) => {
    if (ratios.length < 2) return `  ${what}: too few rounds for an interval`;
    const logs = ratios.map(Math.log);
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
    const half = (1.96 * sd) / Math.sqrt(logs.length);
    const f = (x: number) => Math.exp(x).toFixed(3);
    return `  ${what}: ${f(mean)} (95% interval ${f(mean - half)}-${f(mean + half)}, ${ratios.length} rounds)`;
  };
  const pairs = runs.map((r, i) => [r, base[i]!] as const);
  console.log(`${name} ÷ ${baseline}, paired by round:`);
  console.log(
    line(
      'req/s',
      pairs.map(([r, b]) => r.load.requestsPerSec / b.load.requestsPerSec),
    ),
  );
  const cpu = pairs.filter(([r, b]) => r.proxyUs !== undefined && b.proxyUs !== undefined);
  console.log(
    line(
      'proxy CPU µs/req',
      cpu.map(([r, b]) => r.proxyUs! / b.proxyUs!),
    ),
  );
}

/** The round with the median throughput (a whole round, so its columns belong together). */
function median(list: Measured[]): Measured {
  const sorted = [...list].sort((a, b) => a.load.requestsPerSec - b.load.requestsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const ticksPerSecond = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(out.stdout?.trim()) || 100;
})();

/** User + system CPU time of processes in ms, from /proc; undefined where there is none. */
function cpuMs(pids: number[]): number | undefined {
  let ticks = 0;
  for (const pid of pids) {
    const fields = procStat(pid);
    if (fields === undefined) return undefined;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (index 0 is the state). */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function childPids(parent: number): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => procStat(pid)?.[1] === String(parent));
  } catch {
    return [];
  }
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
  await stopAll();
});
