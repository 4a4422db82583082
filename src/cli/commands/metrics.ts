// `berth metrics [-a APP]`: requests/s, error rate and p50/p99 latency over the last minutes,
// per release of one app, or one line per app.
import type { Command } from 'commander';
import { isBerthError } from '../../core/errors.js';
import type { AppTrafficInfo } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { trafficCells, trafficLine } from '../metrics-format.js';
import { integerFlag } from '../number-flag.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';
import { examples } from '../examples.js';

const HEADERS = ['REQ/S', 'ERRORS', 'P50', 'P99', 'REQUESTS', 'IN FLIGHT'];

export function registerMetrics(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description(
      "Show an app's requests/s, error rate and latency over the last minutes (every app without -a)",
    )
    .addHelpText('after', examples('berth metrics', 'berth metrics -a web --minutes 60 --json'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml, else every app)')
    .option('--minutes <n>', 'how far back to look, 1-60 (default 5)', integerFlag('--minutes', 1, 60), 5)
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; minutes: number; json?: boolean }) => {
      const minutes = opts.minutes;
      const client = await ctx.client();
      const app = oneApp(ctx.cwd, opts.app);
      if (app !== undefined) {
        const traffic = await client.appMetrics(app, minutes);
        if (opts.json) return ctx.out.json(traffic);
        ctx.out.line(`${app}, last ${window(traffic)}: ${trafficLine(traffic.total)}`);
        if (traffic.releases.length === 0) return;
        ctx.out.line('');
        ctx.out.line(
          table(
            ['RELEASE', ...HEADERS],
            traffic.releases.map((r) => [r.release === null ? 'none' : `v${r.release}`, ...trafficCells(r)]),
          ),
        );
        if (traffic.releases.some((r) => r.release === null)) {
          ctx.out.line('(none: requests the proxy answered itself, with no machine running)');
        }
        return;
      }
      const apps = await client.listApps();
      const all = await Promise.all(apps.map((a) => client.appMetrics(a.name, minutes)));
      if (opts.json) return ctx.out.json(all);
      if (all.length === 0) return ctx.out.line('No apps.');
      ctx.out.line(`Last ${window(all[0]!)}:`);
      ctx.out.line(
        table(
          ['APP', ...HEADERS],
          all.map((t) => [t.app, ...trafficCells(t.total)]),
        ),
      );
    });
}

/** -a, else the app of ./berth.toml; undefined when neither names one (then: every app). */
function oneApp(cwd: string, flag: string | undefined): string | undefined {
  try {
    return resolveAppName(cwd, flag);
  } catch (err) {
    if (isBerthError(err) && err.code === 'no_app_name') return undefined;
    throw err;
  }
}

/** `5m` — or less, when the daemon has not been up that long. */
function window(t: AppTrafficInfo): string {
  const s = Math.round(t.seconds);
  return s >= 60 ? `${Math.round(s / 60)}m` : `${s}s`;
}
