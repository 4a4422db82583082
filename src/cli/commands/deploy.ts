// `berth deploy [DIR]`: validate the config, pack and upload the source, make a release and
// follow its rollout to the end, all through the SDK's client.deploy; this prints its progress.
import { Option, type Command } from 'commander';
import { relative, resolve } from 'node:path';
import { formatDiagnostics } from '../../config/load.js';
import { ApiError } from '../../sdk/api-error.js';
import { deployDirectory, type DeployProgress } from '../../sdk/deploy.js';
import { appDirectory } from '../app-directory.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { EXIT } from '../exit-codes.js';
import { durationFlag } from '../duration-flag.js';
import { eventPrinter, progressEmitter, reportOutcome } from '../follow-release.js';
import { parseLockWait } from '../lock-wait.js';
import { CliExit } from '../output.js';

interface DeployOptions {
  app?: string;
  config?: string;
  detach?: boolean;
  json?: boolean;
  message?: string;
  lockWait?: number;
  strategy?: 'rolling' | 'immediate' | 'canary' | 'bluegreen';
  waitTimeout?: number;
  skipReleaseCommand?: boolean;
  driver?: 'process' | 'docker' | 'swarm';
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  program
    .command('deploy [dir]')
    .description('Make a new release from DIR (default .) and roll it out')
    .addHelpText(
      'after',
      examples('berth deploy', "berth deploy ./web -m 'fix the login form' --strategy canary"),
    )
    .option('-a, --app <name>', "app name (default: the config's app, else the directory name)")
    .option('-c, --config <file>', 'config file (default berth.toml, else fly.toml, in DIR)')
    .option('-m, --message <text>', 'why: recorded as the release description', 'deploy')
    .option(
      '--lock-wait <duration>',
      "wait this long (e.g. 30s, 5m) for another deploy's lock on the app instead of failing",
      parseLockWait,
    )
    .addOption(
      new Option(
        '--strategy <name>',
        'rollout strategy for this deploy (default: [deploy] strategy, else rolling)',
      ).choices(['rolling', 'immediate', 'canary', 'bluegreen']),
    )
    .option(
      '--wait-timeout <duration>',
      'how long each batch may take to become healthy before the deploy reverts (default: [deploy] wait_timeout, 5m)',
      durationFlag('--wait-timeout', 1000, 3_600_000),
    )
    .option('--skip-release-command', 'do not run [deploy] release_command for this release')
    .addOption(
      new Option(
        '--driver <name>',
        "run the app on this driver from now on (default: the app's driver, else docker for a Dockerfile or [build] image when the daemon has Docker, else the server's default; swarm: across the nodes of a Docker Swarm)",
      ).choices(['process', 'docker', 'swarm']),
    )
    .option('--detach', 'return once the release exists, without following the rollout')
    .option('--json', 'progress as JSON lines')
    .action((dir: string | undefined, opts: DeployOptions) => deploy(ctx, dir ?? '.', opts));
}

async function deploy(ctx: CliContext, dirArg: string, opts: DeployOptions): Promise<void> {
  const { out } = ctx;
  const emit = progressEmitter(out, opts.json);
  const dir = appDirectory(
    ctx.cwd,
    dirArg,
    'Pass the directory of the app to deploy (default: the current directory): `berth deploy ./web`.',
  );
  // The SDK's deploy is the whole of it (connecting once the config has passed); this prints.
  let configRefused = false;
  const onProgress = (p: DeployProgress) => {
    switch (p.kind) {
      case 'config':
        if (p.diagnostics.length > 0) out.note(formatDiagnostics(p));
        configRefused = p.diagnostics.some((d) => d.severity === 'error');
        if (p.driverNote) out.note(p.driverNote);
        return;
      case 'pack':
        return emit(
          'pack',
          `==> Packed ${relative(ctx.cwd, dir) || '.'}: ${p.files} files, ${formatBytes(p.size)} (${p.digest.slice(0, 19)})`,
          { digest: p.digest, files: p.files, size: p.size },
        );
      case 'upload':
        return p.skipped
          ? emit('upload', '==> Source already on the daemon; upload skipped', { skipped: true })
          : emit('upload', `==> Uploaded ${formatBytes(p.size)}`, { skipped: false });
      case 'release':
        return emit('release', `==> Release v${p.version} of ${p.app} created`, {
          app: p.app,
          version: p.version,
          url: p.url,
        });
      case 'event':
        return printEvent(p.event);
    }
  };
  const printEvent = eventPrinter(out, opts.json);
  let result;
  try {
    result = await deployDirectory(() => ctx.client(), {
      dir,
      app: opts.app,
      config: opts.config ? resolve(ctx.cwd, opts.config) : undefined,
      description: opts.message,
      lockWaitMs: opts.lockWait,
      strategy: opts.strategy,
      waitTimeoutMs: opts.waitTimeout,
      skipReleaseCommand: opts.skipReleaseCommand,
      ...(opts.driver && { driver: opts.driver }),
      follow: !opts.detach,
      onProgress,
    });
  } catch (err) {
    // The diagnostics above said it all.
    if (configRefused && err instanceof ApiError && err.code === 'invalid_config')
      throw new CliExit(EXIT.usage);
    throw err;
  }
  const { app, url, release } = result;
  if (result.outcome === 'started') {
    emit('detached', `Following it: berth releases -a ${app}; it will answer on ${url}`, { detached: true });
    return;
  }
  reportOutcome(out, app, release.version, url, result, opts);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
