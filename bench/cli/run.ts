// CLI start-up benchmark: how long a command takes from the shell's point of view, against
// a bare `node -e 0` on the same machine at the same time.
//
//   npm run bench:cli -- [--runs 30] [--keep]
//
// One real daemon (`berth server` on port 0 in a temp home) with examples/hello deployed.
// Each round runs, in turn, `node -e 0`, `berth --version`, `berth --help`, `berth status`
// (in the app's directory, so the CLI reads its berth.toml) and `berth status -a hello`, each
// as a new process timed from spawn to exit; rounds interleave the commands so that a busy
// moment on a shared machine falls on all of them alike. The API time is what `status` costs
// the daemon and the network: a health check and a status request, each on a new connection,
// timed in this process. Prints the median, p90 and minimum of each and the ratios.
// Targets: `--version` ≤ 1.5 × `node -e 0`; `status` ≤ 2 × `node -e 0` + the API time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/bench/cli → repository root
const root = path.resolve(here, '..', '..', '..');
const CLI = path.join(root, 'dist/src/cli/main.js');

const argv = process.argv.slice(2);
const runsArg = argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : 30;
if (!Number.isInteger(runs) || runs < 3) throw new Error(`--runs must be a whole number ≥ 3`);
const keep = argv.includes('--keep');

const home = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cli-'));
const appDir = path.join(home, 'hello');
cpSync(path.join(root, 'examples/hello'), appDir, { recursive: true });
const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: home, NO_COLOR: '1' };
delete env.BERTH_API_URL;
delete env.BERTH_TOKEN;
let daemon: ChildProcess | undefined;

/** Machines outlive a stopped daemon (it adopts them on return): destroy the app first. */
async function cleanup(): Promise<void> {
  if (daemon && daemon.exitCode === null) {
    berth(['apps', 'destroy', 'hello', '--yes']);
    const exited = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await exited;
  }
  if (!keep) rmSync(home, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

function berth(args: string[], cwd = root): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

async function startDaemon(): Promise<{ apiUrl: string; token: string }> {
  const log = openSync(path.join(home, 'bench-daemon.log'), 'a');
  const args = ['server', '--home', home, '--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'];
  daemon = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', log, log] });
  const serverJson = path.join(home, 'server.json');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (existsSync(serverJson)) {
      const info = JSON.parse(readFileSync(serverJson, 'utf8')) as { pid: number; apiUrl: string };
      if (info.pid === daemon.pid) {
        return { apiUrl: info.apiUrl, token: readFileSync(path.join(home, 'credentials'), 'utf8').trim() };
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the daemon did not start; see ${path.join(home, 'bench-daemon.log')}`);
}

/** One GET on a new connection, as a new CLI process makes it: ms to the end of the body. */
function timedGet(url: string, token: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(performance.now() - start)
          : reject(new Error(`${url}: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
  });
}

function timedRun(command: string[], cwd: string): number {
  const start = performance.now();
  const r = spawnSync(command[0]!, command.slice(1), { cwd, env, stdio: 'ignore' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${command.join(' ')} exited ${r.status}`);
  return ms;
}

interface Stats {
  median: number;
  p90: number;
  min: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p90: at(0.9), min: sorted[0]! };
}

try {
  await measure();
} finally {
  await cleanup();
}
if (keep) console.log(`home kept: ${home}`);

async function measure(): Promise<void> {
  const { apiUrl, token } = await startDaemon();
  const deployed = berth(['deploy', '--json'], appDir);
  if (deployed.code !== 0) throw new Error(`deploying examples/hello failed:\n${deployed.out}`);

  const commands: Array<[string, string[], string]> = [
    ['node -e 0', [process.execPath, '-e', '0'], root],
    ['berth --version', [process.execPath, CLI, '--version'], root],
    ['berth --help', [process.execPath, CLI, '--help'], root],
    ['berth status', [process.execPath, CLI, 'status'], appDir],
    ['berth status -a hello', [process.execPath, CLI, 'status', '-a', 'hello'], root],
  ];
  const times = new Map<string, number[]>(commands.map(([name]) => [name, []]));
  const api: number[] = [];
  // One warm-up round, not counted: the first runs pay for a cold file cache.
  for (const [, command, cwd] of commands) timedRun(command, cwd);
  for (let round = 0; round < runs; round++) {
    for (const [name, command, cwd] of commands) times.get(name)!.push(timedRun(command, cwd));
    api.push(
      (await timedGet(`${apiUrl}/v1/health`, token)) +
        (await timedGet(`${apiUrl}/v1/apps/hello/status`, token)),
    );
  }

  const node = stats(times.get('node -e 0')!);
  const apiStats = stats(api);
  const fmt = (ms: number) => ms.toFixed(1).padStart(7);
  console.log(`cli: ${runs} runs of each, interleaved; node ${process.version}, ${os.cpus().length} cores`);
  console.log('command'.padEnd(24), ' median', '    p90', '    min', '  × node');
  for (const [name] of commands) {
    const s = stats(times.get(name)!);
    console.log(
      name.padEnd(24),
      fmt(s.median),
      fmt(s.p90),
      fmt(s.min),
      (s.median / node.median).toFixed(2).padStart(8),
    );
  }
  console.log('API (health + status)'.padEnd(24), fmt(apiStats.median), fmt(apiStats.p90), fmt(apiStats.min));
  const version = stats(times.get('berth --version')!).median / node.median;
  const status = (stats(times.get('berth status')!).median - apiStats.median) / node.median;
  const statusByName = (stats(times.get('berth status -a hello')!).median - apiStats.median) / node.median;
  console.log(`--version / node -e 0:              ${version.toFixed(2)} (target ≤ 1.5)`);
  console.log(`(status - API) / node -e 0:         ${status.toFixed(2)} (target ≤ 2)`);
  console.log(`(status -a hello - API) / node -e 0: ${statusByName.toFixed(2)} (target ≤ 2)`);
}
