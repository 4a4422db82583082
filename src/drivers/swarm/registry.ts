// The registry through which release images reach the swarm's nodes: the one `berth server
// --registry HOST:PORT` names, else one berth runs itself (Debian's docker-registry) on this
// host, at the address the nodes reach it on, with its data under the daemon's home. It runs
// detached, as machines do: a node that takes over a lost node's machine pulls from it even
// while the daemon is down, and the next daemon finds it answering and keeps it.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_REGISTRY_PORT } from '../../core/drivers.js';
import { BerthError } from '../../core/errors.js';

const REGISTRY_BINARY = 'docker-registry';
const START_TIMEOUT_MS = 30_000;

/** Whether a registry answers its API's base endpoint at HOST:PORT. */
export async function registryAnswers(registry: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

/** Whether the registry holds a manifest (an image of a release, by its digest). */
export async function registryHas(registry: string, repository: string, reference: string): Promise<boolean> {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    signal: AbortSignal.timeout(10_000),
  });
  return res.status === 200;
}

/** This host's address on the route to `peer`: where the nodes reach a registry berth runs. */
export function addressFacing(peer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(peer.includes(':') ? 'udp6' : 'udp4');
    socket.on('error', (err) => {
      socket.close();
      reject(err);
    });
    // A UDP connect sends nothing: it only picks the route and the local address.
    socket.connect(2377, peer, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

/**
 * Refuses a port another process holds (one that is no registry: a registry answering there is
 * used as it is), naming the port and the flag that moves berth's registry elsewhere.
 */
export async function requirePortFree(address: string, port: number): Promise<void> {
  const held = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (held === undefined) return;
  const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  throw new BerthError(
    'address_unavailable',
    held.code === 'EADDRINUSE'
      ? `port ${port} (${where}) is held by another process, which is not a registry: berth's registry cannot listen there`
      : `berth's registry cannot listen on ${where}: ${held.message}`,
    {
      hint: `Free port ${port}, or run berth's registry on another port with \`berth server --registry-port N\`, or name a registry every node reaches with \`berth server --registry HOST:PORT\`.`,
    },
  );
}

/** Whether a registry answers, or the port is free for berth's: the check a starting daemon makes. */
export async function checkRegistryPort(address: string, port: number): Promise<void> {
  const host = address.includes(':') ? `[${address}]` : address;
  if (await registryAnswers(`${host}:${port}`)) return;
  await requirePortFree(address, port);
}

/** Starts berth's own registry at ADDRESS:PORT unless one answers there already; HOST:PORT. */
export async function ensureOwnRegistry(options: {
  home: string;
  address: string;
  port?: number;
  log: (line: string) => void;
}): Promise<string> {
  const host = options.address.includes(':') ? `[${options.address}]` : options.address;
  const port = options.port ?? DEFAULT_REGISTRY_PORT;
  const registry = `${host}:${port}`;
  if (await registryAnswers(registry)) return registry;
  await requirePortFree(options.address, port);
  const dir = join(options.home, 'registry');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(join(dir, 'data'))}`,
      'http:',
      `  addr: ${JSON.stringify(registry)}`,
      '',
    ].join('\n'),
  );
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child = spawn(REGISTRY_BINARY, ['serve', config], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawned) {
    throw new BerthError('driver_unavailable', `berth could not start its registry: ${spawned.message}`, {
      hint: "Install Debian's docker-registry package (apt-get install docker-registry), or name a registry every node can reach with `berth server --registry HOST:PORT`.",
    });
  }
  writeFileSync(join(dir, 'pid'), `${child.pid}\n`);
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await registryAnswers(registry))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new BerthError('driver_unavailable', `berth's registry did not start at ${registry}`, {
        hint: `Read ${join(dir, 'registry.log')}; another process may hold port ${port} (\`berth server --registry-port N\` chooses another). Or name a registry with \`berth server --registry HOST:PORT\`.`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  options.log(`swarm: berth's registry answers at ${registry} (data in ${join(dir, 'data')})`);
  return registry;
}
