// Edge proxy benchmark: the same keep-alive load against examples/hello directly, through the
// berth proxy, and through nginx (when installed), each in its own process.
//
//   npm run bench:proxy -- [--duration 10] [--warmup 2] [--connections 50] [--rounds 1]
//                          [--tool wrk|autocannon]
//
// wrk is preferred when on PATH: it needs far less CPU than autocannon, and on a small machine
// the load generator competes for the same cores as the backend and the proxy. Besides
// throughput and latency, the table shows the CPU time each process spent per request (from
// /proc, Linux only): on a shared machine that is steadier than requests per second. With
// --rounds N the targets are run N times in turn and the median round is reported.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
}

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/bench/proxy → repository root
const root = path.resolve(here, '..', '..', '..');
const children: ChildProcess[] = [];

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const tool = get('tool') ?? (onPath('wrk') ? 'wrk' : 'autocannon');
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error('--tool is wrk or autocannon');
  return {
    rounds: Math.max(1, Number(get('rounds') ?? 1)),
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

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const helloPort = await allocatePort();
  const hello = start('hello', process.execPath, [path.join(root, 'examples/hello/server.js')], {
    PORT: String(helloPort),
  });
  await waitForPort(helloPort, hello, 'examples/hello');

  const proxyPort = await allocatePort();
  const proxy = start('berth proxy', process.execPath, [
    path.join(here, 'proxy-process.js'),
    String(proxyPort),
    `127.0.0.1:${helloPort}`,
  ]);
  await waitForPort(proxyPort, proxy, 'berth proxy');

  const targets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${helloPort}/`, host: `127.0.0.1:${helloPort}`, pids: () => [] },
    {
      name: 'berth proxy',
      url: `http://127.0.0.1:${proxyPort}/`,
      host: `hello.localhost:${proxyPort}`,
      pids: () => [proxy.pid!],
    },
  ];

  let nginxDir: string | undefined;
  if (onPath('nginx')) {
    nginxDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-nginx-'));
    const nginxPort = await allocatePort();
    const conf = path.join(nginxDir, 'nginx.conf');
    writeFileSync(conf, nginxConfig(nginxDir, nginxPort, helloPort));
    const nginx = start('nginx', 'nginx', [
      '-c',
      conf,
      '-p',
      nginxDir,
      '-e',
      path.join(nginxDir, 'error.log'),
    ]);
    await waitForPort(nginxPort, nginx, 'nginx');
    targets.push({
      name: 'nginx',
      url: `http://127.0.0.1:${nginxPort}/`,
      host: `hello.localhost:${nginxPort}`,
      // The master does nothing per request; its worker is a child process.
      pids: () => [nginx.pid!, ...childPids(nginx.pid!)],
    });
  } else {
    console.log('nginx is not on PATH: comparing direct and berth only (apt-get install -y nginx).');
  }

  console.log(
    `load: ${opts.tool}, ${opts.connections} keep-alive connections, ${opts.warmup}s warm-up + ${opts.duration}s per target` +
      `${opts.rounds > 1 ? `, ${opts.rounds} rounds (median shown)` : ''}, ${os.cpus().length} CPUs`,
  );
  const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const t of targets) {
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
  }
  const results = targets.map((t) => ({ name: t.name, ...median(runs.get(t.name)!) }));

  const direct = results[0]!.load.requestsPerSec;
  const us = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(0));
  const rows = [
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs direct', 'proxy CPU µs/req', 'app CPU µs/req'],
    ...results.map((r) => [
      r.name,
      r.load.requestsPerSec.toFixed(0),
      r.load.p50Ms.toFixed(2),
      r.load.p99Ms.toFixed(2),
      String(r.load.errors),
      (r.load.requestsPerSec / direct).toFixed(2),
      us(r.proxyUs),
      us(r.appUs),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  const nginxRow = results.find((r) => r.name === 'nginx');
  if (nginxRow) console.log(`nginx/direct: ${(nginxRow.load.requestsPerSec / direct).toFixed(2)}`);
  console.log(`proxied/direct: ${(results[1]!.load.requestsPerSec / direct).toFixed(2)}`);

  for (const child of children) child.kill('SIGTERM');
  if (nginxDir) setTimeout(() => rmSync(nginxDir!, { recursive: true, force: true }), 500);
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

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = 1;
});
