// `berth status`: the app, its current release, a running deployment and its machines.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { formatDuration, table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show an app, its current release and its machines')
    .addHelpText('after', examples('berth status', 'berth status -a web --json'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const status = await (await ctx.client()).status(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(status);
      const { app, release, deployment, machines } = status;
      ctx.out.line(`App      ${app.name}`);
      ctx.out.line(`URL      ${app.url}`);
      ctx.out.line(`Driver   ${app.driver ?? 'none yet (chosen by the first deploy)'}`);
      ctx.out.line(
        `Release  ${release ? `v${release.version} (${release.status}, ${release.description} by ${release.createdBy}, ${release.createdAt})` : 'none yet'}`,
      );
      if (deployment) ctx.out.line(`Deploying v${deployment.releaseVersion}: step ${deployment.step}`);
      ctx.out.line('');
      if (machines.length === 0) return ctx.out.line('No machines.');
      ctx.out.line(
        table(
          ['ID', 'GROUP', 'RELEASE', 'STATE', 'UPTIME', 'RESTARTS', 'ADDRESS'],
          machines.map((m) => [
            m.id + (m.managed ? '' : ' (unmanaged)'),
            m.processGroup,
            `v${m.releaseVersion}`,
            m.state,
            formatDuration(m.uptimeSeconds),
            m.restarts,
            m.address,
          ]),
        ),
      );
    });
}
