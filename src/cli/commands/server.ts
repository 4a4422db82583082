// `berth server`: run the daemon in the foreground.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { defaultHome } from '../../daemon/home.js';
import { parseListenAddress } from '../../daemon/listen-address.js';
import type { DaemonOptions } from '../../daemon/daemon.js';
import type { CliContext } from '../context.js';
import { integerFlag } from '../number-flag.js';
import { addProxyLimitOptions, proxyLimitsFromOptions } from '../proxy-limit-flags.js';

const MiB = 1024 * 1024;

/** Options `berth server` has no flag for: only tests pass them (test/helpers/paused-server.ts). */
export type ServerExtras = Pick<DaemonOptions, 'beforeStep'>;

export function registerServer(program: Command, ctx: CliContext, extras: ServerExtras = {}): void {
  const command = program
    .command('server')
    .description('Run the berth daemon: state, API, proxy and machines')
    .option('--home <dir>', 'state directory (default $BERTH_HOME, else ~/.berth)')
    .option(
      '--api <host:port>',
      'API listen address; port 0 picks one',
      ctx.env.BERTH_API_LISTEN ?? '127.0.0.1:4680',
    )
    .option(
      '--proxy <host:port>',
      'proxy listen address; port 0 picks one',
      ctx.env.BERTH_PROXY_LISTEN ?? '127.0.0.1:8080',
    )
    .option(
      '--proxy-tls <host:port>',
      'TLS listener of the proxy (certificates by SNI); port 0 picks one',
      ctx.env.BERTH_PROXY_TLS_LISTEN,
    )
    .option(
      '--proxy-workers <n>',
      'processes serving the proxy listener (1: the daemon itself)',
      ctx.env.BERTH_PROXY_WORKERS ?? '1',
    )
    .option('--domain <name>', 'apps answer on <app>.<domain>', ctx.env.BERTH_DOMAIN ?? 'localhost')
    .option(
      '--driver <name>',
      'default driver of apps: process, docker (needs the Docker Engine at DOCKER_HOST, else /var/run/docker.sock), or swarm (that Engine is a swarm manager)',
      ctx.env.BERTH_DRIVER ?? 'process',
    )
    .option(
      '--registry <host:port>',
      "swarm: the registry every node pulls release images from (default: berth runs Debian's docker-registry on this host, port 5000)",
      ctx.env.BERTH_REGISTRY,
    )
    .option(
      '--max-artifact-size <MiB>',
      'largest upload accepted, in MiB',
      integerFlag('--max-artifact-size', 1, 1024 * 1024),
      512,
    )
    .action(
      async (opts: {
        home?: string;
        api: string;
        proxy: string;
        proxyTls?: string;
        proxyWorkers: string;
        domain: string;
        driver: string;
        registry?: string;
        maxArtifactSize: number;
        [proxyLimit: string]: unknown;
      }) => {
        const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
        const maxMiB = opts.maxArtifactSize;
        const proxyLimits = proxyLimitsFromOptions(opts);
        const proxyWorkers = Number(opts.proxyWorkers);
        if (!Number.isInteger(proxyWorkers) || proxyWorkers < 1 || proxyWorkers > 64) {
          throw new BerthError(
            'invalid_request',
            `--proxy-workers "${opts.proxyWorkers}" is not a number from 1 to 64`,
            {
              hint: 'Pass --proxy-workers N (or set BERTH_PROXY_WORKERS): 1 serves in the daemon, N > 1 in N worker processes; about one per core.',
            },
          );
        }
        // Loaded on demand: every other command stays quick to start.
        const { startDaemon } = await import('../../daemon/daemon.js');
        const daemon = await startDaemon({
          home: opts.home ?? defaultHome(ctx.env),
          api: parseListenAddress(opts.api, '--api'),
          proxy: parseListenAddress(opts.proxy, '--proxy'),
          ...(opts.proxyTls && { proxyTls: parseListenAddress(opts.proxyTls, '--proxy-tls') }),
          domain: opts.domain,
          proxyWorkers,
          driver: opts.driver,
          ...(opts.registry !== undefined && { registry: parseRegistry(opts.registry) }),
          env: ctx.env,
          maxArtifactBytes: maxMiB * MiB,
          proxyLimits,
          log,
          ...extras,
        });
        let stopping = false;
        const shutdown = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log(`${signal}: shutting down; machines keep running and are adopted by the next daemon`);
          void daemon.close().then(() => process.exit(0));
        };
        process.on('SIGTERM', () => shutdown('SIGTERM'));
        process.on('SIGINT', () => shutdown('SIGINT'));
        await new Promise(() => undefined); // serve until a signal
      },
    );
  addProxyLimitOptions(command, ctx.env);
}

/** `--registry HOST:PORT`, as Docker names a registry in an image reference. */
function parseRegistry(value: string): string {
  const registry = value
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/$/, '');
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$/.test(registry)) {
    throw new BerthError('invalid_request', `--registry "${value}" is not HOST:PORT`, {
      hint: 'Name the registry every swarm node can reach, e.g. --registry 10.0.0.5:5000.',
    });
  }
  return registry;
}
