// `berth console [-a APP]`: an interactive shell in a new temporary machine of the release, on
// a terminal (PTY) sized like this one, as `fly ssh console` gives. The machine is destroyed
// when the shell exits.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { resolveAppName } from '../resolve-app.js';
import { attach, printTo, terminalSize, terminalType } from '../session-io.js';
import { parseVersionArg } from '../version-arg.js';
import { examples } from '../examples.js';

export function registerConsole(program: Command, ctx: CliContext): void {
  program
    .command('console')
    .description('Open a shell in a new temporary machine of the release (its env, secrets and files)')
    .addHelpText('after', examples('berth console', 'berth console -a web --release v3'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--release <version>', 'release to run (default: the current one)')
    .option('--volumes', "mount the group's volumes (shared with the machines that hold them)")
    .addHelpText('after', '\nExamples:\n  berth console\n  berth console -a web --release v3 --volumes')
    .action(async (opts: { app?: string; release?: string; volumes?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const release = opts.release === undefined ? undefined : parseVersionArg(opts.release);
      const session = await (
        await ctx.client()
      ).console(
        app,
        {
          ...(release !== undefined && { release }),
          ...(opts.volumes && { volumes: true }),
          ...terminalSize(),
          term: terminalType(ctx.env),
        },
        printTo(ctx),
      );
      process.exitCode = await attach(session, { tty: true, forwardInput: true });
    });
}
