// `berth secrets set|unset|list|deploy`: the app's encrypted environment. Values go to the
// daemon in request bodies only and are never printed; `list` shows digests.
import type { Command } from 'commander';
import { isEmptyChange, summarizeChange, type SecretChange } from '../../core/secret-change.js';
import type { SecretsChangeResult } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { followRelease, progressEmitter, type Emit } from '../follow-release.js';
import { parseLockWait } from '../lock-wait.js';
import { CliExit, table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';
import { parseAssignments, valueFromStdin } from '../secret-args.js';

interface ChangeOptions {
  app?: string;
  stage?: boolean;
  lockWait?: number;
  detach?: boolean;
  json?: boolean;
}

export function registerSecrets(program: Command, ctx: CliContext): void {
  const secrets = program
    .command('secrets')
    .description("Manage the app's secrets: encrypted environment variables every machine starts with")
    .addHelpText(
      'after',
      examples('berth secrets set DATABASE_URL=postgres://db/app', 'berth secrets list -a web'),
    );
  const changeOptions = (command: Command) =>
    command
      .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
      .option('--stage', 'store the change without deploying it; `berth secrets deploy` applies it')
      .option(
        '--lock-wait <duration>',
        "wait this long (e.g. 30s, 5m) for another deploy's lock on the app instead of failing",
        parseLockWait,
      )
      .option('--detach', 'return once the release exists, without following the rollout')
      .option('--json', 'progress as JSON lines');

  changeOptions(
    secrets
      .command('set')
      .argument('<NAME=VALUE...>', 'secrets to set; VALUE "-" reads the value from stdin')
      .description('Set secrets and deploy them with a new release of the current code and config')
      .addHelpText(
        'after',
        examples(
          'berth secrets set API_KEY=abc123 SESSION_SECRET=s3cret',
          'cat key.pem | berth secrets set TLS_KEY=- --stage',
        ),
      ),
  ).action(async (pairs: string[], opts: ChangeOptions) => {
    const { values, fromStdin } = parseAssignments(pairs);
    const set = new Map(Object.entries(values));
    if (fromStdin !== undefined) {
      if (process.stdin.isTTY)
        ctx.out.note(`Reading the value of ${fromStdin} from stdin; end it with Ctrl-D.`);
      set.set(fromStdin, valueFromStdin(await readStdin()));
    }
    await change(ctx, opts, { set: Object.fromEntries(set) });
  });

  changeOptions(
    secrets
      .command('unset')
      .argument('<NAME...>', 'secrets to remove')
      .description('Remove secrets and deploy that with a new release of the current code and config')
      .addHelpText('after', examples('berth secrets unset API_KEY')),
  ).action((names: string[], opts: ChangeOptions) => change(ctx, opts, { unset: names }));

  secrets
    .command('list')
    .description('List secrets by name and digest (never their values) and staged changes')
    .addHelpText('after', examples('berth secrets list -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const list = await (await ctx.client()).listSecrets(app);
      if (opts.json) return ctx.out.json(list);
      if (list.secrets.length === 0) return ctx.out.line(`${app} has no secrets.`);
      ctx.out.line(
        table(
          ['NAME', 'DIGEST', 'UPDATED', 'PENDING'],
          list.secrets.map((s) => [
            s.name,
            s.digest,
            s.updatedAt,
            s.pending
              ? `${s.pending.action}${s.pending.digest ? ` (${s.pending.digest})` : ''}, staged by ${s.pending.stagedBy}`
              : null,
          ]),
        ),
      );
      if (list.pending.set.length + list.pending.unset.length > 0) {
        ctx.out.line(`\nStaged changes are pending: \`berth secrets deploy -a ${app}\` applies them.`);
      }
    });

  secrets
    .command('deploy')
    .description('Apply staged secret changes with a new release of the current code and config')
    .addHelpText('after', examples('berth secrets deploy -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option(
      '--lock-wait <duration>',
      "wait this long (e.g. 30s, 5m) for another deploy's lock on the app instead of failing",
      parseLockWait,
    )
    .option('--detach', 'return once the release exists, without following the rollout')
    .option('--json', 'progress as JSON lines')
    .action(async (opts: ChangeOptions) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const client = await ctx.client();
      const result = await client.deploySecrets(app, { lockWaitMs: opts.lockWait });
      await report(ctx, opts, result);
    });
}

async function change(
  ctx: CliContext,
  opts: ChangeOptions,
  edit: { set?: Record<string, string>; unset?: string[] },
): Promise<void> {
  const app = resolveAppName(ctx.cwd, opts.app);
  const client = await ctx.client();
  const result = await client.changeSecrets(app, { ...edit, stage: opts.stage, lockWaitMs: opts.lockWait });
  await report(ctx, opts, result);
}

async function report(ctx: CliContext, opts: ChangeOptions, result: SecretsChangeResult): Promise<void> {
  const emit: Emit = progressEmitter(ctx.out, opts.json);
  const { app } = result;
  const what = summary(result.change);
  if (result.outcome === 'staged') {
    emit(
      'staged',
      `==> Staged on ${app}: ${what}. \`berth secrets deploy -a ${app}\` applies ${summary(result.pending)}`,
      {
        app,
        change: result.change,
        pending: result.pending,
      },
    );
    return;
  }
  if (result.outcome === 'stored') {
    emit(
      'stored',
      `==> Stored on ${app}: ${what}. ${app} has no release yet: its first deploy starts with them`,
      {
        app,
        change: result.change,
      },
    );
    return;
  }
  const release = result.release!;
  emit('release', `==> Release v${release.version} of ${app} created: ${release.description}`, {
    app,
    version: release.version,
    description: release.description,
    url: result.url,
  });
  if (opts.detach) {
    emit('detached', `Following it: berth releases -a ${app}; it will answer on ${result.url}`, {
      detached: true,
    });
    return;
  }
  const client = await ctx.client();
  try {
    await followRelease(ctx, client, app, release.version, result.url, { json: opts.json });
  } catch (err) {
    // Secrets are the app's: they were saved before the release, and stay when it fails.
    if (err instanceof CliExit) {
      ctx.out.note(
        `The secret changes are saved (${what}): machines of ${app} that start from now on get them.`,
      );
    }
    throw err;
  }
}

function summary(change: SecretChange): string {
  return isEmptyChange(change) ? 'nothing' : summarizeChange(change);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
