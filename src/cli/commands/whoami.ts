// `berth whoami`: which token this CLI uses: its name, role, apps and expiry.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';

export function registerWhoami(program: Command, ctx: CliContext): void {
  program
    .command('whoami')
    .description('The token in use: its name, role, apps and expiry')
    .addHelpText('after', examples('berth whoami', 'berth whoami --json'))
    .option('--json', 'print JSON: {name, role, apps, expiresAt}')
    .action(async (opts: { json?: boolean }) => {
      const me = await (await ctx.client()).whoami();
      if (opts.json) return ctx.out.json(me);
      const apps = me.apps ? ` of ${me.apps.join(', ')}` : ' of every app';
      const expiry = me.expiresAt ? `, until ${me.expiresAt}` : '';
      ctx.out.line(`${me.name} (${me.role}${me.role === 'metrics' ? '' : apps}${expiry})`);
    });
}
