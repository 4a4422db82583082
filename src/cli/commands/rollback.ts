// `berth rollback [vN]`: a new release with an earlier release's artifact and config, rolled
// out and followed exactly as a deploy is.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { followRelease, progressEmitter } from '../follow-release.js';
import { parseLockWait } from '../lock-wait.js';
import { resolveAppName } from '../resolve-app.js';
import { parseVersionArg } from '../version-arg.js';

interface RollbackOptions {
  app?: string;
  lockWait?: number;
  detach?: boolean;
  json?: boolean;
}

export function registerRollback(program: Command, ctx: CliContext): void {
  program
    .command('rollback [version]')
    .description(
      'Deploy an earlier release again as a new one (default: the newest earlier one that served and runs other code or config than the current)',
    )
    .addHelpText('after', examples('berth rollback', 'berth rollback v3 -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option(
      '--lock-wait <duration>',
      "wait this long (e.g. 30s, 5m) for another deploy's lock on the app instead of failing",
      parseLockWait,
    )
    .option('--detach', 'return once the release exists, without following the rollout')
    .option('--json', 'progress as JSON lines')
    .action((version: string | undefined, opts: RollbackOptions) => rollback(ctx, version, opts));
}

async function rollback(
  ctx: CliContext,
  versionArg: string | undefined,
  opts: RollbackOptions,
): Promise<void> {
  const app = resolveAppName(ctx.cwd, opts.app);
  const target = versionArg === undefined ? undefined : parseVersionArg(versionArg);
  const emit = progressEmitter(ctx.out, opts.json);
  const client = await ctx.client();
  const result = await client.rollback(app, { version: target, lockWaitMs: opts.lockWait });
  const { version, description } = result.release;
  emit('release', `==> Release v${version} of ${app} created: ${description}`, {
    app,
    version,
    description,
    url: result.url,
  });
  for (const warning of result.warnings) emit('warning', `==> ${capitalize(warning)}`, { warning });
  if (opts.detach) {
    emit('detached', `Following it: berth releases -a ${app}; it will answer on ${result.url}`, {
      detached: true,
    });
    return;
  }
  await followRelease(ctx, client, app, version, result.url, { json: opts.json });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
