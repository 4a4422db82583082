// `berth logs [-f] [--machine ID] [--release vN]`: the app's machine output as the daemon keeps
// it (machines gone included), each line with its time, machine, group and release; with -f,
// every new line as it is written, new machines' too, and the daemon's word when one stops.
import type { Command } from 'commander';
import { formatLogRecord } from '../../core/logs/log-record.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { resolveAppName } from '../resolve-app.js';
import { integerFlag } from '../number-flag.js';
import { parseVersionArg } from '../version-arg.js';

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("Show the logs of an app's machines, gone ones included (kept for the server's retention)")
    .addHelpText('after', examples('berth logs -f', 'berth logs -a web --machine 4f1c2a9e0b7d31 -n 500'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('-f, --follow', 'keep printing new lines, of machines started later too')
    .option('--machine <id>', 'only this machine (also one replaced, destroyed or run with --rm)')
    .option('--release <version>', "only this release's machines and its release command, e.g. v3")
    .option(
      '-n, --lines <count>',
      'newest lines of history to show (0-10000)',
      integerFlag('--lines', 0, 10_000),
      100,
    )
    .option('--json', 'one JSON object per line: time, machine, processGroup, release, stream, line')
    .action(
      async (opts: {
        app?: string;
        follow?: boolean;
        machine?: string;
        release?: string;
        lines: number;
        json?: boolean;
      }) => {
        const app = resolveAppName(ctx.cwd, opts.app);
        const release = opts.release === undefined ? undefined : parseVersionArg(opts.release);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        await (
          await ctx.client()
        ).logs(
          app,
          {
            machine: opts.machine,
            ...(release !== undefined && { release }),
            lines: opts.lines,
            follow: opts.follow,
            signal: abort.signal,
          },
          (l) => ctx.out.line(opts.json ? JSON.stringify(l) : formatLogRecord(l)),
        );
      },
    );
}
