// `berth scale count N` and `berth scale show`: how many machines each process group runs.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new BerthError('invalid_request', `"${text}" is not a machine count`, {
      hint: 'Pass a whole number of machines from 0 to 100, e.g. `berth scale count 3`.',
    });
  }
  return Number(text);
}

export function registerScale(program: Command, ctx: CliContext): void {
  const scale = program
    .command('scale')
    .description('Change how many machines run the current release (no new release)')
    .addHelpText('after', examples('berth scale count 3', 'berth scale show -a web'));
  scale
    .command('count <n>')
    .description('Run N machines in a process group: new ones serve once healthy, removed ones drain first')
    .addHelpText(
      'after',
      examples('berth scale count 3', 'berth scale count 2 --process-group worker -a web'),
    )
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('-g, --process-group <group>', 'process group to scale (default: app, else the only one)')
    .option('--json', 'print JSON')
    .action(async (n: string, opts: { app?: string; processGroup?: string; json?: boolean }) => {
      const count = parseCount(n);
      const app = resolveAppName(ctx.cwd, opts.app);
      const client = await ctx.client();
      if (!opts.json) ctx.out.note(`==> Scaling ${opts.processGroup ?? 'the app'} of ${app} to ${count}`);
      const result = await client.scaleCount(app, { count, group: opts.processGroup }, (message) => {
        if (!opts.json) ctx.out.note(`  ${message}`);
      });
      if (opts.json) return ctx.out.json(result);
      if (result.started.length > 0)
        ctx.out.line(`Started ${result.started.join(', ')} on v${result.release}`);
      if (result.removed.length > 0) ctx.out.line(`Drained and removed ${result.removed.join(', ')}`);
      ctx.out.line(
        result.from === result.to
          ? `${result.group} already runs ${result.to} machine${result.to === 1 ? '' : 's'}`
          : `Scaled ${result.group} from ${result.from} to ${result.to} (v${result.release})`,
      );
    });
  scale
    .command('show')
    .description('Each process group: desired count, running and stopped machines, release')
    .addHelpText('after', examples('berth scale show -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const shown = await (await ctx.client()).scaleShow(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(shown);
      ctx.out.line(`${shown.app}: current release v${shown.release}`);
      ctx.out.line(
        table(
          ['GROUP', 'DESIRED', 'RUNNING', 'STOPPED', 'RELEASE'],
          shown.groups.map((g) => [
            g.group,
            g.scaled ? g.desired : `${g.desired} (not scaled)`,
            g.running,
            g.stopped,
            g.releases.length === 0 ? '-' : g.releases.map((v) => `v${v}`).join(', '),
          ]),
        ),
      );
    });
}
