// `berth deploy [DIR]`: validate the config, pack and upload the source, make a release and
// follow its rollout to the end.
import { Option, type Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { findConfigFile, formatDiagnostics, loadConfigText } from '../../config/load.js';
import { appNameFromDirectory } from '../../core/app-name.js';
import {
  buildSource,
  DEFAULT_DOCKERFILE,
  describeImpliedDriver,
  impliedDriver,
} from '../../core/config/build-source.js';
import { BerthError } from '../../core/errors.js';
import { appDirectory } from '../app-directory.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { EXIT } from '../exit-codes.js';
import { durationFlag } from '../duration-flag.js';
import { followRelease } from '../follow-release.js';
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
  const emit = (kind: string, message: string, data: Record<string, unknown> = {}) =>
    opts.json ? out.line(JSON.stringify({ kind, message, ...data })) : out.line(message);

  const dir = appDirectory(
    ctx.cwd,
    dirArg,
    'Pass the directory of the app to deploy (default: the current directory): `berth deploy ./web`.',
  );
  const configPath = findConfigFile(dir, opts.config ? resolve(ctx.cwd, opts.config) : undefined);
  const text = readFileSync(configPath, 'utf8');
  const shownPath = relative(ctx.cwd, configPath) || configPath;
  const loaded = loadConfigText(text, shownPath);
  if (loaded.diagnostics.length > 0) out.note(formatDiagnostics(loaded));
  if (!loaded.config || loaded.diagnostics.some((d) => d.severity === 'error')) throw new CliExit(EXIT.usage);
  // The daemon makes the choice; an image or a Dockerfile is said here, before the upload.
  const implied = impliedDriver(buildSource(loaded.config.build, existsSync(join(dir, DEFAULT_DOCKERFILE))));
  if (implied.driver === 'docker') out.note(describeImpliedDriver(implied));

  const app = opts.app ?? loaded.config.app ?? appNameFromDirectory(basename(dir));
  if (!app)
    throw new BerthError(
      'no_app_name',
      `no app name: ${shownPath} has none and "${basename(dir)}" is not usable as one`,
    );

  const client = await ctx.client();
  // The packer (and tar) load only when a deploy runs: not for `deploy --help` or `berth --help`.
  const { packDirectory } = await import('../../artifacts/pack.js');
  const packed = await packDirectory(dir);
  try {
    emit(
      'pack',
      `==> Packed ${relative(ctx.cwd, dir) || '.'}: ${packed.files} files, ${formatBytes(packed.size)} (${packed.digest.slice(0, 19)})`,
      {
        digest: packed.digest,
        files: packed.files,
        size: packed.size,
      },
    );
    if (await client.hasArtifact(packed.digest)) {
      emit('upload', '==> Source already on the daemon; upload skipped', { skipped: true });
    } else {
      await client.uploadArtifact(packed.digest, packed.path);
      emit('upload', `==> Uploaded ${formatBytes(packed.size)}`, { skipped: false });
    }
  } finally {
    await rm(packed.path, { force: true });
  }

  const result = await client.deploy(app, {
    artifact: packed.digest,
    config: { file: basename(configPath), text },
    description: opts.message,
    lockWaitMs: opts.lockWait,
    strategy: opts.strategy,
    waitTimeoutMs: opts.waitTimeout,
    skipReleaseCommand: opts.skipReleaseCommand,
    ...(opts.driver && { driver: opts.driver }),
  });
  const version = result.release.version;
  emit('release', `==> Release v${version} of ${app} created`, { app, version, url: result.url });
  if (opts.detach) {
    emit('detached', `Following it: berth releases -a ${app}; it will answer on ${result.url}`, {
      detached: true,
    });
    return;
  }
  await followRelease(ctx, client, app, version, result.url, { json: opts.json });
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
