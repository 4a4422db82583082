// `berth logs [-f] [--machine ID]`: machine output, then (with -f) as it is written.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { resolveAppName } from '../resolve-app.js';
import { integerFlag } from '../number-flag.js';

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("Show the logs of an app's machines")
    .addHelpText('after', examples('berth logs -f', 'berth logs -a web --machine 4f1c2a9e0b7d31 -n 500'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('-f, --follow', 'keep printing new lines')
    .option('--machine <id>', 'only this machine')
    .option(
      '-n, --lines <count>',
      'lines of history per machine (0-10000)',
      integerFlag('--lines', 0, 10_000),
      100,
    )
    .option('--json', 'one JSON object per line')
    .action(
      async (opts: { app?: string; follow?: boolean; machine?: string; lines: number; json?: boolean }) => {
        const app = resolveAppName(ctx.cwd, opts.app);
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        await (
          await ctx.client()
        ).logs(
          app,
          { machine: opts.machine, lines: opts.lines, follow: opts.follow, signal: abort.signal },
          (l) => ctx.out.line(opts.json ? JSON.stringify(l) : `${l.machine} ${l.processGroup}: ${l.line}`),
        );
      },
    );
}
