// `berth lock status|release`: see who holds an app's deploy lock, and break it when the
// deploy that took it is gone.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { resolveAppName } from '../resolve-app.js';

export function registerLock(program: Command, ctx: CliContext): void {
  const lock = program
    .command('lock')
    .description("See or break an app's deploy lock")
    .addHelpText('after', examples('berth lock status -a web', 'berth lock release -a web --yes'));

  lock
    .command('status')
    .description('Who holds the deploy lock of an app, since when, and until when')
    .addHelpText('after', examples('berth lock status -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON: {lock}')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).getLock(app);
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(result.lock ? `${app} is locked: ${result.lock.description}` : `${app} is not locked`);
    });

  lock
    .command('release')
    .description('Break the deploy lock of an app whose deployer is gone')
    .addHelpText('after', examples('berth lock release -a web --yes'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('-y, --yes', 'break it (required: a running deploy loses its lock)')
    .option('--json', 'print JSON: {released}')
    .action(async (opts: { app?: string; yes?: boolean; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const client = await ctx.client();
      if (!opts.yes) {
        const { lock: held } = await client.getLock(app);
        if (held) {
          throw new BerthError(
            'invalid_request',
            `${app} is locked: ${held.description}; breaking it while that deploy runs lets two deploys race`,
            { hint: `If its deployer is gone, run it again with --yes: berth lock release -a ${app} --yes` },
          );
        }
      }
      const result = opts.yes ? await client.releaseLock(app) : { released: null };
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(
        result.released
          ? `Broke the deploy lock of ${app}; it was ${result.released.description}`
          : `${app} is not locked; nothing to release`,
      );
    });
}
