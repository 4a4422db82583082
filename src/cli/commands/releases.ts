// `berth releases`: every release of an app, newest first.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

export function registerReleases(program: Command, ctx: CliContext): void {
  program
    .command('releases')
    .description('List the releases of an app')
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const releases = await (await ctx.client()).listReleases(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(releases);
      if (releases.length === 0) return ctx.out.line('No releases yet.');
      ctx.out.line(
        table(
          ['VERSION', 'STATUS', 'DESCRIPTION', 'USER', 'CREATED', 'ARTIFACT'],
          releases.map((r) => [
            `v${r.version}`,
            r.status,
            r.description,
            r.createdBy,
            r.createdAt,
            r.artifactDigest.slice(0, 19),
          ]),
        ),
      );
      const failed = releases.find((r) => r.failureReason);
      if (failed) ctx.out.line(`\nv${failed.version} failed: ${failed.failureReason}`);
    });
}
