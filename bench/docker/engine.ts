// The bench's own Docker Engine: a dockerd in a temp dir (data-root, exec-root, socket, log),
// on a bridge interface of its own, so that `docker swarm init` and the containers of the bench
// touch no Engine anyone else uses. It leaves the host's iptables alone (--iptables=false: a
// second daemon would reset the DOCKER chains of the first); published ports then go through
// docker-proxy, the userland proxy, for every baseline alike.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface OwnEngine {
  host: string;
  dir: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs the docker CLI against `host`; throws with its output when it fails. */
export function docker(host: string, args: string[], timeoutMs = 300_000): string {
  const run = spawnSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: host, DOCKER_CLI_HINTS: 'false' },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (run.error) throw new Error(`docker ${args.join(' ')}: ${run.error.message}`);
  if (run.status !== 0)
    throw new Error(`docker ${args.join(' ')} exited ${run.status}:\n${run.stderr}${run.stdout}`);
  return run.stdout;
}

/** Like docker(), but answers whether it succeeded instead of throwing. */
export function dockerOk(host: string, args: string[], timeoutMs = 60_000): boolean {
  try {
    docker(host, args, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ip(args: string[]): void {
  const run = spawnSync('ip', args, { encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(
      `ip ${args.join(' ')}: ${run.stderr?.trim() || run.error?.message} (--engine own needs root and iproute2)`,
    );
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function killPidFile(file: string): void {
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Starts a dockerd in `dir` (needs root, `ip` and dockerd). Stop it with stop(), also on failure. */
export async function startOwnEngine(dir: string, log: (line: string) => void): Promise<OwnEngine> {
  mkdirSync(dir, { recursive: true });
  // A name of at most 15 characters, and a /24 that depends on it, both unlikely to be taken.
  const bridge = `berthb${process.pid % 100000}`;
  const subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
  ip(['link', 'add', 'name', bridge, 'type', 'bridge']);
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child) {
      child.kill('SIGTERM');
      if (!(await exited(child, 30_000))) {
        child.kill('SIGKILL');
        await exited(child, 5_000);
      }
      killPidFile(path.join(dir, 'exec/containerd/containerd.pid'));
    }
    spawnSync('ip', ['link', 'del', bridge]);
  };
  try {
    ip(['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    const host = `unix://${dir}/docker.sock`;
    const logFd = openSync(path.join(dir, 'dockerd.log'), 'a');
    const started = Date.now();
    child = spawn(
      'dockerd',
      [
        '--data-root',
        path.join(dir, 'data'),
        '--exec-root',
        path.join(dir, 'exec'),
        '--pidfile',
        path.join(dir, 'dockerd.pid'),
        '-H',
        host,
        '--bridge',
        bridge,
        '--iptables=false',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    const failed = (why: string): Error =>
      new Error(
        `${why}; the end of ${dir}/dockerd.log:\n${readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-3000)}`,
      );
    for (;;) {
      if (child.exitCode !== null) throw failed(`dockerd exited (${child.exitCode})`);
      if (existsSync(`${dir}/docker.sock`) && dockerOk(host, ['info'], 10_000)) break;
      if (Date.now() - started > START_TIMEOUT_MS)
        throw failed(`dockerd did not answer within ${START_TIMEOUT_MS / 1000} s`);
      await sleep(100);
    }
    log(`own dockerd on ${host} (bridge ${bridge}, ${subnet}.0/24) ready in ${Date.now() - started} ms`);
    return { host, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
