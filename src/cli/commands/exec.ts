// `berth exec [-a APP] [-t] MACHINE -- CMD ARGS…`: a command inside a running machine, in its
// environment and filesystem; stdin is forwarded, its exit code is ours.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { resolveAppName } from '../resolve-app.js';
import { attach, printTo, terminalSize, terminalType } from '../session-io.js';
import { examples } from '../examples.js';

export function registerExec(program: Command, ctx: CliContext): void {
  program
    .command('exec')
    .description('Run a command inside a running machine (its env, user and files); stdin is forwarded')
    .addHelpText('after', examples('berth exec 4f1c2a9e0b7d31 -- env', 'berth exec -t 4f1c2a9e0b7d31 -- sh'))
    .argument('<machine>', 'machine id or name (`berth machine list`)')
    .argument('<command...>', 'the program and its arguments, after --, run as given (no shell)')
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('-t, --tty', "run it on a terminal (PTY) of this terminal's size, in raw mode")
    .addHelpText('after', '\nExamples:\n  berth exec 3f2a9c1d0e4b5a -- ls -la\n  berth exec -t web-1 -- sh')
    .action(async (machine: string, command: string[], opts: { app?: string; tty?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const tty = opts.tty ? { ...terminalSize(), term: terminalType(ctx.env) } : undefined;
      const session = await (
        await ctx.client()
      ).exec(app, machine, command, { ...(tty && { tty }) }, printTo(ctx));
      process.exitCode = await attach(session, { tty: tty !== undefined, forwardInput: true });
    });
}
