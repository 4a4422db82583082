// `berth releases`: every release of an app, newest first; `releases show vN`: one release
// and its whole deploy log.
import type { Command } from 'commander';
import type { EventInfo } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';
import { parseVersionArg } from '../version-arg.js';

interface ReleasesOptions {
  app?: string;
  json?: boolean;
}

export function registerReleases(program: Command, ctx: CliContext): void {
  const releases = program
    .command('releases')
    .description('List the releases of an app (`releases show vN` for one with its deploy log)')
    .addHelpText('after', examples('berth releases', 'berth releases -a web --json'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action((opts: ReleasesOptions) => list(ctx, opts));

  releases
    .command('show <version>')
    .description(
      'Show a release: its status, why it failed and what the failing machine printed last, and its full deploy log',
    )
    .addHelpText('after', examples('berth releases show v3', 'berth releases show 3 -a web --json'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON: {release, events}')
    // -a after `show` lands on the parent command too, so read both.
    .action((version: string, _opts: ReleasesOptions, cmd: Command) =>
      show(ctx, version, cmd.optsWithGlobals<ReleasesOptions>()),
    );
}

async function list(ctx: CliContext, opts: ReleasesOptions): Promise<void> {
  const releases = await (await ctx.client()).listReleases(resolveAppName(ctx.cwd, opts.app));
  if (opts.json) return ctx.out.json(releases);
  if (releases.length === 0) return ctx.out.line('No releases yet.');
  ctx.out.line(
    table(
      ['VERSION', 'STATUS', 'DESCRIPTION', 'USER', 'CREATED', 'ARTIFACT'],
      releases.map((r) => [
        `v${r.version}`,
        r.status,
        r.description,
        r.createdBy,
        r.createdAt,
        r.artifactDigest.slice(0, 19),
      ]),
    ),
  );
  const failed = releases.find((r) => r.failureReason);
  if (failed) ctx.out.line(`\nv${failed.version} failed: ${failed.failureReason}`);
}

async function show(ctx: CliContext, versionArg: string, opts: ReleasesOptions): Promise<void> {
  const app = resolveAppName(ctx.cwd, opts.app);
  const version = parseVersionArg(versionArg);
  const client = await ctx.client();
  const release = await client.getRelease(app, version);
  const events: EventInfo[] = [];
  await client.releaseEvents(app, version, false, (e) => events.push(e));
  if (opts.json) return ctx.out.json({ release, events });
  const rows: Array<[string, string | null]> = [
    ['Release', `v${release.version} of ${release.app} (${release.status})`],
    ['Why', release.description],
    ['By', release.createdBy],
    ['Created', release.createdAt],
    ['Updated', release.updatedAt],
    ['Driver', release.driver],
    ['Artifact', release.artifactDigest],
    ['Config', release.configFile],
    ['Secrets', release.secretsDigest ? `digest ${release.secretsDigest}` : null],
    ['Failed', release.failureReason],
  ];
  for (const [label, value] of rows) {
    if (value !== null) ctx.out.line(`${label.padEnd(9)} ${value.replace(/\n/g, '\n          ')}`);
  }
  const output = release.failureOutput;
  if (output) {
    ctx.out.line('');
    ctx.out.line(
      `Last output of machine ${output.machineId} (${output.processGroup}), when it failed at ${output.at}:`,
    );
    if (output.lines.length === 0) ctx.out.line('  (it printed nothing)');
    for (const line of output.lines) ctx.out.line(`  │ ${line}`);
  }
  ctx.out.line('');
  ctx.out.line(events.length ? 'Deploy log:' : 'Deploy log: no events recorded');
  for (const e of events) ctx.out.line(logLine(e));
}

/** "09:14:49  message", build output set off with a bar, continuation lines aligned. */
function logLine(e: EventInfo): string {
  const prefix = `  ${e.at.slice(11, 19)}  `;
  const text = e.kind === 'build.output' ? `│ ${e.message}` : e.message;
  return prefix + text.replace(/\n/g, '\n' + ' '.repeat(prefix.length));
}
