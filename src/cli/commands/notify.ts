// `berth notify add|list|remove`: where an app's failures (failed schedule runs, deploys and
// reverts, crash loops, failed wakes) are POSTed as JSON.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';
import { examples } from '../examples.js';

interface Opts {
  app?: string;
  json?: boolean;
}

const APP_FLAG = ['-a, --app <name>', 'app name (default: the app in ./berth.toml)'] as const;

export function registerNotify(program: Command, ctx: CliContext): void {
  const notify = program
    .command('notify')
    .description("Where an app's failures are sent (webhooks)")
    .addHelpText(
      'after',
      examples(
        'berth notify add https://hooks.example.com/berth --secret-file hook.key',
        'berth notify list',
      ),
    );

  notify
    .command('add <url>')
    .description('POST JSON to URL on failures; --secret-file signs each delivery (X-Berth-Signature)')
    .addHelpText(
      'after',
      examples(
        'berth notify add https://hooks.example.com/berth',
        'berth notify add https://hooks.example.com/berth --secret-file hook.key',
      ),
    )
    .option(...APP_FLAG)
    .option(
      '--secret-file <file>',
      'a file holding the HMAC-SHA256 signing key (never printed or stored in the clear)',
    )
    .option('--events <kinds>', 'comma-separated kinds (default: all of them)')
    .option('--json', 'print JSON: {target}')
    .action(async (url: string, _o: Opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts & { secretFile?: string; events?: string }>();
      const app = resolveAppName(ctx.cwd, opts.app);
      const secret = opts.secretFile === undefined ? undefined : readSecretFile(opts.secretFile);
      const events = opts.events
        ?.split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      const result = await (
        await ctx.client()
      ).addNotifyTarget(app, {
        url,
        ...(secret !== undefined && { secret }),
        ...(events && { events }),
      });
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(
        `Added notification target #${result.target.id} (${result.target.signed ? 'signed' : 'unsigned'}) for ${app}: ${result.target.events.join(', ')}`,
      );
    });

  notify
    .command('list')
    .description("The app's notification targets: [notify] of its current release and those added here")
    .addHelpText('after', examples('berth notify list', 'berth notify list -a web --json'))
    .option(...APP_FLAG)
    .option('--json', 'print JSON: {targets}')
    .action(async (_o: Opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts>();
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).listNotifyTargets(app);
      if (opts.json) return ctx.out.json(result);
      if (result.targets.length === 0)
        return ctx.out.line(`${app} sends no notifications; add one with \`berth notify add URL\`.`);
      ctx.out.line(
        table(
          ['ID', 'URL', 'SOURCE', 'SIGNED', 'EVENTS'],
          result.targets.map((t) => [
            t.source === 'config' ? '-' : String(t.id),
            t.url,
            t.source,
            t.signed ? 'yes' : 'no',
            t.events.join(','),
          ]),
        ),
      );
    });

  notify
    .command('remove <target>')
    .description('Remove a target added with `notify add`, by id (see `notify list`) or URL')
    .addHelpText(
      'after',
      examples('berth notify remove 3', 'berth notify remove https://hooks.example.com/berth'),
    )
    .option(...APP_FLAG)
    .option('--json', 'print JSON: {target}')
    .action(async (target: string, _o: Opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts>();
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).removeNotifyTarget(app, target);
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(`Removed notification target #${result.target.id} of ${app}.`);
    });
}

function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BerthError(
      'invalid_request',
      `cannot read the secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      {
        hint: 'Pass --secret-file with a readable file that holds the signing key.',
      },
    );
  }
  const secret = text.trim();
  if (secret === '') {
    throw new BerthError('invalid_request', `the secret file ${file} is empty`, {
      hint: 'Write the signing key into the file, or leave --secret-file out for unsigned deliveries.',
    });
  }
  return secret;
}
