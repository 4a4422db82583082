// `berth status`: the app at a glance (state, release, machines, restarts, URLs), a running
// deployment and its machines, a crash-looping one shown as such with its last exit.
import type { Command } from 'commander';
import type { MachineAtGlanceInfo } from '../../sdk/types.js';
import { releaseText, stateText } from '../app-state-text.js';
import type { CliContext } from '../context.js';
import { usageLine } from '../metrics-format.js';
import { examples } from '../examples.js';
import { formatDuration, table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show an app at a glance: state, release, machines, restarts, URLs')
    .addHelpText('after', examples('berth status', 'berth status -a web --json'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const status = await (await ctx.client()).status(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(status);
      const { app, release, deployment, machines } = status;
      ctx.out.line(`App       ${app.name}`);
      ctx.out.line(`State     ${stateText(app)}`);
      ctx.out.line(`URL       ${app.urls.join('  ')}`);
      ctx.out.line(`Driver    ${app.driver ?? 'none yet (chosen by the first deploy)'}`);
      ctx.out.line(
        `Release   ${release ? `v${release.version} (${release.status}, ${release.description} by ${release.createdBy}, ${release.createdAt})` : releaseText(app)}`,
      );
      const latest = app.latestRelease;
      if (latest && latest.status === 'failed' && latest.version !== release?.version)
        ctx.out.line(
          `          v${latest.version} failed: berth releases show v${latest.version} -a ${app.name}`,
        );
      ctx.out.line(`Machines  ${app.machines.started}/${app.machines.total} started`);
      ctx.out.line(`Restarts  ${app.restartsLastHour} in the last hour`);
      ctx.out.line(`Usage     ${usageLine(status.usage.total)}`);
      if (deployment) ctx.out.line(`Deploying v${deployment.releaseVersion}: step ${deployment.step}`);
      ctx.out.line('');
      if (machines.length === 0) return ctx.out.line('No machines.');
      ctx.out.line(
        table(
          ['ID', 'GROUP', 'RELEASE', 'STATE', 'UPTIME', 'RESTARTS', 'ADDRESS', 'LAST EXIT'],
          machines.map((m) => [
            m.id + (m.managed ? '' : ' (unmanaged)'),
            m.processGroup,
            `v${m.releaseVersion}`,
            machineState(m),
            formatDuration(m.uptimeSeconds),
            `${m.restarts} (${m.restartsLastHour} in 1h)`,
            m.address,
            m.lastExit,
          ]),
        ),
      );
      const looping = machines.filter((m) => m.crashLooping);
      for (const m of looping) {
        ctx.out.line(
          `\nmachine ${m.id} is crash-looping (last exit: ${m.lastExit ?? 'unknown'}): berth logs --machine ${m.id} -a ${app.name}`,
        );
      }
    });
}

function machineState(m: MachineAtGlanceInfo): string {
  return m.crashLooping ? `crashloop (${m.state})` : m.state;
}
