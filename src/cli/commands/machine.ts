// `berth machine list`.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatDuration, table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

export function registerMachine(program: Command, ctx: CliContext): void {
  const machine = program.command('machine').description('Work with the machines of an app');
  machine
    .command('list')
    .description('List the machines of an app')
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const machines = await (await ctx.client()).listMachines(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(machines);
      if (machines.length === 0) return ctx.out.line('No machines.');
      ctx.out.line(
        table(
          ['ID', 'GROUP', 'RELEASE', 'STATE', 'MANAGED', 'UPTIME', 'RESTARTS', 'ADDRESS', 'COMMAND'],
          machines.map((m) => [
            m.id,
            m.processGroup,
            `v${m.releaseVersion}`,
            m.state,
            m.managed ? 'yes' : 'no',
            formatDuration(m.uptimeSeconds),
            m.restarts,
            m.address,
            m.command,
          ]),
        ),
      );
    });
}
