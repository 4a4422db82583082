// Which drivers this host offers. The process driver always; docker when the Docker Engine
// answers `GET /_ping` at DOCKER_HOST (a unix socket or tcp), else at /var/run/docker.sock, and
// this build of berth has the docker driver (src/drivers/docker/docker-driver.ts). When not,
// the cause and the fix, for the daemon's log and the errors of deploys that need it.
import { request } from 'node:http';
import type { Driver } from './driver.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const PING_TIMEOUT_MS = 2_000;
/** Not literals, so that a build without the docker or swarm driver still compiles. */
const DOCKER_DRIVER_MODULE = './docker/docker-driver.js';
const SWARM_DRIVER_MODULE = './swarm/swarm-driver.js';

export type EngineEndpoint = { socketPath: string } | { host: string; port: number };

export interface Unavailable {
  cause: string;
  fix: string;
}

export interface DockerDriverFactoryOptions {
  home: string;
  dockerHost: string;
  log: (line: string) => void;
}

/** DOCKER_HOST as an endpoint node:http can reach, or why it cannot. */
export function engineEndpoint(dockerHost: string): EngineEndpoint | Unavailable {
  const unix = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (unix) return { socketPath: unix[1]! };
  const tcp = /^tcp:\/\/([^:/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(dockerHost);
  if (tcp && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536) {
    return { host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  }
  return {
    cause: `DOCKER_HOST=${dockerHost} is neither unix:///PATH nor tcp://HOST:PORT`,
    fix: "Set DOCKER_HOST to the Engine's socket (unix:///var/run/docker.sock) or tcp://HOST:PORT, or unset it.",
  };
}

/** Whether the Engine answers its ping within two seconds. */
export function pingEngine(
  endpoint: EngineEndpoint,
  timeoutMs = PING_TIMEOUT_MS,
): Promise<Unavailable | undefined> {
  const where = 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  const fix = `Start Docker (e.g. \`systemctl start docker\`) or set DOCKER_HOST to a running Engine, then restart \`berth server\`.`;
  return new Promise((resolve) => {
    const req = request(
      { ...endpoint, method: 'GET', path: '/_ping', timeout: timeoutMs, headers: { host: 'docker' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve(
            res.statusCode === 200
              ? undefined
              : { cause: `the Docker Engine at ${where} answered /_ping with ${res.statusCode}`, fix },
          ),
        );
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ cause: `the Docker Engine at ${where} did not answer within ${timeoutMs / 1000} s`, fix });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ cause: `no Docker Engine at ${where} (${err.code ?? err.message})`, fix }),
    );
    req.end();
  });
}

/**
 * A driver that talks to the Engine at DOCKER_HOST (docker, swarm), loaded from its module only
 * once the Engine answers; or why this daemon cannot have it.
 */
async function loadEngineDriver<O extends DockerDriverFactoryOptions>(spec: {
  name: string;
  module: string;
  factory: string;
  env: Record<string, string | undefined>;
  options: (dockerHost: string) => O;
  /** What a factory that threw is reported as. */
  failed: (err: unknown) => Unavailable;
}): Promise<{ driver: Driver } | { unavailable: Unavailable }> {
  const dockerHost = spec.env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
  const endpoint = engineEndpoint(dockerHost);
  if ('cause' in endpoint) return { unavailable: endpoint };
  const down = await pingEngine(endpoint);
  if (down) return { unavailable: down };
  let factory: ((o: O) => Promise<Driver>) | undefined;
  try {
    const module = (await import(spec.module)) as Record<string, unknown>;
    if (typeof module[spec.factory] === 'function')
      factory = module[spec.factory] as (o: O) => Promise<Driver>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  if (!factory) {
    return {
      unavailable: {
        cause: `this build of berth has no ${spec.name} driver`,
        fix: `Install a berth release that includes the ${spec.name} driver.`,
      },
    };
  }
  try {
    return { driver: await factory(spec.options(dockerHost)) };
  } catch (err) {
    return { unavailable: spec.failed(err) };
  }
}

/** The docker driver, or why this daemon cannot have it. */
export function loadDockerDriver(options: {
  home: string;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
}): Promise<{ driver: Driver } | { unavailable: Unavailable }> {
  return loadEngineDriver({
    name: 'docker',
    module: DOCKER_DRIVER_MODULE,
    factory: 'createDockerDriver',
    env: options.env,
    options: (dockerHost): DockerDriverFactoryOptions => ({
      home: options.home,
      dockerHost,
      log: options.log,
    }),
    failed: (err) => ({
      cause: `the docker driver could not start: ${err instanceof Error ? err.message : String(err)}`,
      fix: "Check that the daemon's user may use the Docker Engine (e.g. is in the docker group), then restart `berth server`.",
    }),
  });
}

export interface SwarmDriverFactoryOptions extends DockerDriverFactoryOptions {
  registry?: string;
  registryPort?: number;
}

/**
 * The swarm driver, when the Engine at DOCKER_HOST is a swarm manager, or why not. Asked only
 * of a daemon started with --driver swarm or whose apps already run on a swarm.
 */
export function loadSwarmDriver(options: {
  home: string;
  env: Record<string, string | undefined>;
  registry?: string;
  registryPort?: number;
  log: (line: string) => void;
}): Promise<{ driver: Driver } | { unavailable: Unavailable }> {
  return loadEngineDriver({
    name: 'swarm',
    module: SWARM_DRIVER_MODULE,
    factory: 'createSwarmDriver',
    env: options.env,
    options: (dockerHost): SwarmDriverFactoryOptions => ({
      home: options.home,
      dockerHost,
      log: options.log,
      ...(options.registry !== undefined ? { registry: options.registry } : {}),
      ...(options.registryPort !== undefined ? { registryPort: options.registryPort } : {}),
    }),
    failed: (err) => {
      const hint = (err as { hint?: unknown }).hint;
      return {
        cause: err instanceof Error ? err.message : String(err),
        fix:
          typeof hint === 'string'
            ? hint
            : 'Run `berth server` on a swarm manager (DOCKER_HOST naming its Engine), then restart it.',
      };
    },
  });
}
