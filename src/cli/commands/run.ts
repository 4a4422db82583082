// `berth run [-a APP] [--release vN] [--volumes] -- CMD ARGS…`: a one-off command in a
// temporary machine of a release; its output streams here, its exit code is ours.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { resolveAppName } from '../resolve-app.js';
import { attach, printTo } from '../session-io.js';
import { parseVersionArg } from '../version-arg.js';
import { examples } from '../examples.js';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description(
      'Run a command in a temporary machine of a release (its env and secrets), stream its output and exit with its code; the machine is destroyed after',
    )
    .addHelpText(
      'after',
      examples('berth run -- node scripts/migrate.js', 'berth run -a web --release v3 --volumes -- ls /data'),
    )
    .argument('<command...>', 'the program and its arguments, after --, run as given (no shell)')
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--release <version>', 'release to run (default: the current one)')
    .option('--volumes', "mount the group's volumes (shared with the machines that hold them)")
    .option('-q, --quiet', "print only the command's output")
    .addHelpText(
      'after',
      "\nExamples:\n  berth run -- node scripts/migrate.js\n  berth run -a web --release v3 -- sh -c 'echo $DATABASE_URL | wc -c'",
    )
    .action(
      async (
        command: string[],
        opts: { app?: string; release?: string; volumes?: boolean; quiet?: boolean },
      ) => {
        const app = resolveAppName(ctx.cwd, opts.app);
        const release = opts.release === undefined ? undefined : parseVersionArg(opts.release);
        const session = await (
          await ctx.client()
        ).run(
          app,
          command,
          { ...(release !== undefined && { release }), ...(opts.volumes && { volumes: true }) },
          printTo(ctx, opts.quiet),
        );
        process.exitCode = await attach(session, { tty: false, forwardInput: false });
      },
    );
}
