// `berth events`: what happened to an app (deploys, releases, machine starts, exits, restarts,
// stops, wakes, scaling, secrets by name, locks), who did it and when; `-f` follows.
import type { Command } from 'commander';
import { isBerthError } from '../../core/errors.js';
import type { EventInfo } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { integerFlag } from '../number-flag.js';
import { resolveAppName } from '../resolve-app.js';
import { examples } from '../examples.js';

interface EventsOptions {
  app?: string;
  follow?: boolean;
  json?: boolean;
  all?: boolean;
  lines?: number;
}

export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('What happened to an app, who did it and when (every app without -a and no ./berth.toml)')
    .addHelpText('after', examples('berth events -f', 'berth events -a web --json -n 500'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml, else every app)')
    .option('-f, --follow', 'keep printing new events as they happen')
    .option(
      '-n, --lines <count>',
      'how many of the latest events to show first (default 100)',
      integerFlag('--lines', 0, 10_000),
    )
    .option('--all', "also a deploy's progress detail (build output, check results, steps)")
    .option('--json', 'one JSON object per event')
    .addHelpText('after', '\nExamples:\n  berth events -a hello\n  berth events -a hello -f --json')
    .action(async (opts: EventsOptions) => {
      const app = appOrEvery(ctx, opts.app);
      const client = await ctx.client();
      await client.events(
        {
          ...(app !== undefined && { app }),
          ...(opts.lines !== undefined && { lines: opts.lines }),
          follow: !!opts.follow,
          all: !!opts.all,
        },
        (event) => ctx.out.line(opts.json ? JSON.stringify(event) : eventLine(event, app === undefined)),
      );
    });
}

/** -a, else the app of ./berth.toml, else undefined: every app. */
function appOrEvery(ctx: CliContext, flag: string | undefined): string | undefined {
  try {
    return resolveAppName(ctx.cwd, flag);
  } catch (err) {
    if (isBerthError(err) && err.code === 'no_app_name') return undefined;
    throw err;
  }
}

/** "2024-05-01 09:14:49  admin  release v2 is live", with the app when listing every app. */
export function eventLine(e: EventInfo, withApp: boolean): string {
  const when = `${e.at.slice(0, 10)} ${e.at.slice(11, 19)}`;
  const who = e.actor ?? 'berth';
  const prefix = `${when}  ${withApp ? `${e.app ?? '-'}  ` : ''}${who.padEnd(6)}  `;
  return prefix + e.message.replace(/\n/g, '\n' + ' '.repeat(prefix.length));
}
