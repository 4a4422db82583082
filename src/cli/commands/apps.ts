// `berth apps create|list|destroy`.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { releaseText, stateText } from '../app-state-text.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { table } from '../output.js';

export function registerApps(program: Command, ctx: CliContext): void {
  const apps = program
    .command('apps')
    .description('Create, list and destroy apps')
    .addHelpText('after', examples('berth apps list', 'berth apps create web'));

  apps
    .command('create <name>')
    .description('Create an app (deploy creates it too)')
    .addHelpText('after', examples('berth apps create web'))
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const app = await (await ctx.client()).createApp(name);
      if (opts.json) ctx.out.json(app);
      else
        ctx.out.line(
          `Created app ${app.name}; deploy it with \`berth deploy -a ${app.name}\`. URL: ${app.url}`,
        );
    });

  apps
    .command('list')
    .description('List apps: state, release, machines started/total, restarts in the last hour, URLs')
    .addHelpText('after', examples('berth apps list', 'berth apps list --json'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await ctx.client()).listApps();
      if (opts.json) return ctx.out.json(list);
      if (list.length === 0) return ctx.out.line('No apps yet. Deploy one: berth deploy examples/hello');
      ctx.out.line(
        table(
          ['NAME', 'STATE', 'RELEASE', 'MACHINES', 'RESTARTS (1H)', 'DRIVER', 'URL'],
          list.map((a) => [
            a.name,
            stateText(a),
            releaseText(a),
            `${a.machines.started}/${a.machines.total} started`,
            a.restartsLastHour,
            a.driver,
            a.urls.join(' '),
          ]),
        ),
      );
    });

  apps
    .command('destroy <name>')
    .description('Stop every machine of an app and remove it, its routes and its releases')
    .addHelpText('after', examples('berth apps destroy web --yes'))
    .option('-y, --yes', 'do not ask (required when not on a terminal)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { yes?: boolean; json?: boolean }) => {
      if (!opts.yes) {
        throw new BerthError(
          'invalid_request',
          `destroying "${name}" stops all its machines and deletes its releases`,
          {
            hint: `Run it again with --yes: berth apps destroy ${name} --yes`,
          },
        );
      }
      const result = await (await ctx.client()).destroyApp(name);
      if (opts.json) ctx.out.json(result);
      else ctx.out.line(`Destroyed app ${name}`);
    });
}
