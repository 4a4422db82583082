// `berth server`: run the daemon in the foreground, with settings from flags, BERTH_*
// variables and <home>/server.toml (in that order); `berth server status|stop|restart` are in
// server-control.ts.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { DEFAULT_REGISTRY_PORT } from '../../core/drivers.js';
import { defaultHome, homeLayout } from '../../daemon/home.js';
import { readServerConfig, type ServerConfig } from '../../daemon/server-config.js';
import { parseListenAddress } from '../../daemon/listen-address.js';
import type { DaemonOptions } from '../../daemon/daemon.js';
import type { LogCaps } from '../../core/logs/log-retention.js';
import type { CliContext } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import { examples } from '../examples.js';
import { integerFlag } from '../number-flag.js';
import { sizeFlag } from '../size-flag.js';
import { addProxyLimitOptions, proxyLimitsFromOptions } from '../proxy-limit-flags.js';
import { registerServerControl } from './server-control.js';

const MiB = 1024 * 1024;

/** Options `berth server` has no flag for: only tests pass them (test/helpers/paused-server.ts). */
export type ServerExtras = Pick<DaemonOptions, 'beforeStep'>;

export function registerServer(program: Command, ctx: CliContext, extras: ServerExtras = {}): void {
  const command = program
    .command('server')
    .description(
      'Run the berth daemon: state, API, proxy and machines (settings also from <home>/server.toml)',
    )
    .addHelpText(
      'after',
      examples(
        'berth server',
        'berth server --api 0.0.0.0:4680 --proxy 0.0.0.0:80 --proxy-tls 0.0.0.0:443 --domain example.com',
        'berth server --driver swarm --registry-port 5050',
      ),
    )
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
      "swarm: the registry every node pulls release images from (default: berth runs Debian's docker-registry on this host, on --registry-port)",
      ctx.env.BERTH_REGISTRY,
    )
    .option(
      '--registry-port <n>',
      "swarm: the port of berth's own registry on this host, when --registry names none",
      integerFlag('--registry-port', 1, 65535),
      DEFAULT_REGISTRY_PORT,
    )
    .option(
      '--max-artifact-size <MiB>',
      'largest upload accepted, in MiB',
      integerFlag('--max-artifact-size', 1, 1024 * 1024),
      512,
    )
    .option(
      '--log-max-machine <size>',
      "disk one machine's kept logs may take (rotated at half), e.g. 10MiB",
      LOG_FLAGS.logMaxMachine.parse,
    )
    .option(
      '--log-max-total <size>',
      'disk all kept machine logs may take; the oldest go first, e.g. 512MiB',
      LOG_FLAGS.logMaxTotal.parse,
    )
    .option(
      '--log-retention <duration>',
      'how long logs of gone machines (and quiet ones) are kept, e.g. 7d',
      LOG_FLAGS.logRetention.parse,
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
        registryPort: number;
        maxArtifactSize: number;
        logMaxMachine?: number;
        logMaxTotal?: number;
        logRetention?: number;
        [proxyLimit: string]: unknown;
      }) => {
        const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
        const home = opts.home ?? defaultHome(ctx.env);
        const { config, warnings } = readServerConfig(homeLayout(home).serverConfig);
        for (const warning of warnings) log(warning);
        // The file fills in what neither a flag nor a BERTH_* variable gave.
        const setting = <K extends keyof ServerConfig & keyof typeof opts>(key: K): string | undefined => {
          const source = command.getOptionValueSource(key);
          const given = opts[key] as string | undefined;
          return source === 'cli' || source === 'env' || ctx.env[ENV_OF[key]] !== undefined
            ? given
            : (config[key] ?? given);
        };
        opts.api = setting('api')!;
        opts.proxy = setting('proxy')!;
        const proxyTls = setting('proxyTls');
        if (proxyTls !== undefined) opts.proxyTls = proxyTls;
        opts.proxyWorkers = setting('proxyWorkers')!;
        opts.domain = setting('domain')!;
        opts.driver = setting('driver')!;
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
          home,
          api: parseListenAddress(opts.api, '--api'),
          proxy: parseListenAddress(opts.proxy, '--proxy'),
          ...(opts.proxyTls && { proxyTls: parseListenAddress(opts.proxyTls, '--proxy-tls') }),
          domain: opts.domain,
          proxyWorkers,
          driver: opts.driver,
          ...(opts.registry !== undefined && { registry: parseRegistry(opts.registry) }),
          registryPort: opts.registryPort,
          env: ctx.env,
          maxArtifactBytes: maxMiB * MiB,
          proxyLimits,
          logCaps: logCapsFrom(opts, ctx.env),
          log,
          control: {
            stop: () => shutdown('berth server stop'),
            restart: () => shutdown('berth server restart', restartSelf),
          },
          ...extras,
        });
        let stopping = false;
        function shutdown(reason: string, then?: () => void): void {
          if (stopping) return;
          stopping = true;
          log(`${reason}: shutting down; machines keep running and are adopted by the next daemon`);
          void daemon.close().then(() => {
            then?.();
            process.exit(0);
          });
        }
        // The same command again, once this daemon has let go of the home: it reads server.toml
        // anew and asks for the same ports (listen-ports.ts). It runs in the background.
        function restartSelf(): void {
          const logFd = openSync(daemon.layout.daemonLog, 'a', 0o600);
          const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
            detached: true,
            stdio: ['ignore', logFd, logFd],
            env: ctx.env,
          });
          child.unref();
          log(`restarting as pid ${child.pid}; its log: ${daemon.layout.daemonLog}`);
        }
        process.on('SIGTERM', () => shutdown('SIGTERM'));
        process.on('SIGINT', () => shutdown('SIGINT'));
        await new Promise(() => undefined); // serve until a signal
      },
    );
  addProxyLimitOptions(command, ctx.env);
  registerServerControl(command, ctx);
}

/** The log caps' flags, each with the variable that sets it when the flag is not given. */
const LOG_FLAGS = {
  logMaxMachine: {
    key: 'maxMachineBytes',
    env: 'BERTH_LOG_MAX_MACHINE',
    parse: sizeFlag('--log-max-machine', 4 * 1024, 1024 ** 4),
  },
  logMaxTotal: {
    key: 'maxTotalBytes',
    env: 'BERTH_LOG_MAX_TOTAL',
    parse: sizeFlag('--log-max-total', 16 * 1024, 1024 ** 5),
  },
  logRetention: {
    key: 'retentionMs',
    env: 'BERTH_LOG_RETENTION',
    parse: durationFlag('--log-retention', 60_000, 3650 * 86_400_000),
  },
} as const;

function logCapsFrom(
  opts: Partial<Record<keyof typeof LOG_FLAGS, number>>,
  env: Record<string, string | undefined>,
): Partial<LogCaps> {
  const caps: Partial<LogCaps> = {};
  for (const [name, flag] of Object.entries(LOG_FLAGS) as [
    keyof typeof LOG_FLAGS,
    (typeof LOG_FLAGS)[keyof typeof LOG_FLAGS],
  ][]) {
    const fromEnv = env[flag.env];
    const value = opts[name] ?? (fromEnv ? flag.parse(fromEnv) : undefined);
    if (value !== undefined) caps[flag.key] = value;
  }
  return caps;
}
/** The variable each setting is also read from; when set, it wins over server.toml. */
const ENV_OF = {
  api: 'BERTH_API_LISTEN',
  proxy: 'BERTH_PROXY_LISTEN',
  proxyTls: 'BERTH_PROXY_TLS_LISTEN',
  proxyWorkers: 'BERTH_PROXY_WORKERS',
  domain: 'BERTH_DOMAIN',
  driver: 'BERTH_DRIVER',
} as const;

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
