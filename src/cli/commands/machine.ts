// `berth machine list|run|clone|start|stop|destroy|status`.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { parseEnvPairs } from '../../core/machine-run-config.js';
import type { MachineInfo } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { formatDuration, table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';
import { appDirectory } from '../app-directory.js';
import { parseVersionArg } from '../version-arg.js';

interface RunOptions {
  app?: string;
  release?: string;
  dir?: string;
  cmd?: string;
  env?: string[];
  port?: string;
  name?: string;
  rm?: boolean;
  json?: boolean;
}

const APP_OPTION = ['-a, --app <name>', 'app name (default: the app in ./berth.toml)'] as const;

export function registerMachine(program: Command, ctx: CliContext): void {
  const machine = program
    .command('machine')
    .description('Work with the machines of an app')
    .addHelpText('after', examples('berth machine list', 'berth machine status 4f1c2a9e0b7d31'));
  machine
    .command('list')
    .description('List the machines of an app')
    .addHelpText('after', examples('berth machine list -a web'))
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const machines = await (await ctx.client()).listMachines(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(machines);
      if (machines.length === 0) return ctx.out.line('No machines.');
      ctx.out.line(
        table(
          ['ID', 'NAME', 'GROUP', 'RELEASE', 'STATE', 'MANAGED', 'UPTIME', 'RESTARTS', 'ADDRESS', 'COMMAND'],
          machines.map((m) => [
            m.id,
            m.name,
            m.processGroup,
            `v${m.releaseVersion}`,
            m.state,
            m.managed ? 'yes' : 'no',
            formatDuration(m.uptimeSeconds),
            m.restarts,
            m.address,
            m.command,
          ]),
        ),
      );
    });

  machine
    .command('run')
    .description('Run a machine outside the deploy group, with its own command, env and port')
    .addHelpText(
      'after',
      examples(
        "berth machine run --cmd 'node scripts/migrate.js' --rm",
        'berth machine run --release v3 --port 9000 --name debug',
      ),
    )
    .option(...APP_OPTION)
    .option('--release <version>', 'release to run (default: the current one)')
    .option('--dir <dir>', 'run this directory (uploaded like `berth deploy`) instead of a release')
    .option('--cmd <command>', "command to run (default: the release's app command)")
    .option(
      '-e, --env <NAME=VALUE>',
      'environment variable (repeatable)',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .option('--port <port>', 'port the process listens on (as $PORT); it is not routed by the proxy')
    .option('--name <name>', 'a name to refer to it by instead of its id')
    .option('--rm', 'destroy the machine when its process exits')
    .option('--json', 'print JSON')
    .action((opts: RunOptions) => run(ctx, opts));

  machine
    .command('clone <id>')
    .description('Start a copy of a machine (same release and config); a managed copy joins its group')
    .addHelpText('after', examples('berth machine clone 4f1c2a9e0b7d31'))
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const made = await (await ctx.client()).machineAction(app, id, 'clone');
      if (opts.json) return ctx.out.json(made);
      ctx.out.line(`Machine ${made.id} cloned from ${id}: ${describe(made)}`);
      printAddress(ctx, made);
    });

  for (const action of ['start', 'stop'] as const) {
    machine
      .command(`${action} <id>`)
      .description(
        action === 'start'
          ? 'Start a stopped machine (a managed one takes traffic once healthy)'
          : 'Drain and stop a machine; it stays stopped, also across deploys, until started',
      )
      .addHelpText('after', examples(`berth machine ${action} 4f1c2a9e0b7d31 -a web`))
      .option(...APP_OPTION)
      .option('--json', 'print JSON')
      .action(async (id: string, opts: { app?: string; json?: boolean }) => {
        const app = resolveAppName(ctx.cwd, opts.app);
        const m = await (await ctx.client()).machineAction(app, id, action);
        if (opts.json) return ctx.out.json(m);
        ctx.out.line(
          `Machine ${m.id} ${action === 'start' ? 'started' : 'drained and stopped'}: ${describe(m)}`,
        );
        if (action === 'start') printAddress(ctx, m);
      });
  }

  machine
    .command('destroy <id>')
    .description('Destroy a machine and its files (a started one only with --force)')
    .addHelpText(
      'after',
      examples('berth machine destroy 4f1c2a9e0b7d31', 'berth machine destroy 4f1c2a9e0b7d31 --force'),
    )
    .option(...APP_OPTION)
    .option('-f, --force', 'drain and destroy it even if it is running')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { app?: string; force?: boolean; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const m = await (await ctx.client()).destroyMachine(app, id, !!opts.force);
      if (opts.json) return ctx.out.json(m);
      ctx.out.line(`Machine ${m.id} destroyed`);
    });

  machine
    .command('status <id>')
    .description('State, release, group, address, restarts, last exit and recent events of a machine')
    .addHelpText('after', examples('berth machine status 4f1c2a9e0b7d31 --json'))
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const status = await (await ctx.client()).machineStatus(app, id);
      if (opts.json) return ctx.out.json(status);
      const m = status.machine;
      const rows: Array<[string, string]> = [
        ['Machine', m.name ? `${m.id} (${m.name})` : m.id],
        ['State', m.state],
        ['Release', `v${m.releaseVersion}`],
        ['Group', m.processGroup],
        ['Managed', m.managed ? 'yes (deploys and scaling manage it)' : 'no (deploys never touch it)'],
        ['Command', m.command],
        ['Address', m.address ?? '-'],
        ['Restarts', String(m.restarts)],
        ['Last exit', m.lastExit ?? '-'],
        ['Started at', m.startedAt ?? '-'],
        ['Uptime', formatDuration(m.uptimeSeconds)],
      ];
      if (status.runConfig) {
        const rc = status.runConfig;
        rows.push(['Env', rc.envNames.length ? rc.envNames.join(', ') : '-']);
        rows.push(['Port', rc.port === null ? '-' : String(rc.port)]);
        rows.push([
          'Runs',
          rc.artifact ? `uploaded directory ${rc.artifact.slice(0, 19)}` : `release v${m.releaseVersion}`,
        ]);
        rows.push(['On exit', rc.autoDestroy ? 'destroyed (--rm)' : 'restarted']);
      }
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) ctx.out.line(`${k.padEnd(width)}  ${v}`);
      if (status.events.length > 0) {
        ctx.out.line('');
        ctx.out.line('Recent events:');
        for (const e of status.events) ctx.out.line(`  ${e.at}  ${e.message}`);
      }
    });
}

async function run(ctx: CliContext, opts: RunOptions): Promise<void> {
  if (opts.release !== undefined && opts.dir !== undefined) {
    throw new BerthError('invalid_request', '--release and --dir cannot be used together', {
      hint: 'Run a release with --release vN, or a directory with --dir DIR.',
    });
  }
  const env = parseEnvPairs(opts.env ?? []);
  let port: number | undefined;
  if (opts.port !== undefined) {
    if (!/^\d+$/.test(opts.port)) {
      throw new BerthError('invalid_request', `"${opts.port}" is not a port`, {
        hint: 'Pass --port with a number from 1 to 65535: the port your process listens on.',
      });
    }
    port = Number(opts.port);
  }
  const release = opts.release === undefined ? undefined : parseVersionArg(opts.release);
  const app = resolveAppName(ctx.cwd, opts.app);
  const client = await ctx.client();
  let artifact: string | undefined;
  if (opts.dir !== undefined) {
    const dir = appDirectory(
      '.',
      resolve(ctx.cwd, opts.dir),
      'Pass --dir with the directory whose files the machine should run.',
    );
    const uploaded = await client.uploadDirectory(dir);
    artifact = uploaded.digest;
    if (!opts.json) {
      ctx.out.note(
        `==> Packed ${opts.dir}: ${uploaded.files} files (${uploaded.digest.slice(0, 19)})${uploaded.uploaded ? ', uploaded' : ', already on the daemon'}`,
      );
    }
  }
  const made = await client.runMachine(app, {
    release,
    artifact,
    command: opts.cmd,
    env,
    port,
    name: opts.name,
    autoDestroy: opts.rm,
  });
  if (opts.json) return ctx.out.json(made);
  ctx.out.line(`Machine ${made.id}${made.name ? ` (${made.name})` : ''} started: ${describe(made)}`);
  if (port !== undefined) printAddress(ctx, made);
  if (opts.rm) ctx.out.line('It is destroyed when its process exits (--rm).');
}

function describe(m: MachineInfo): string {
  return `${m.managed ? 'managed' : 'unmanaged'}, ${m.processGroup} on v${m.releaseVersion}, ${m.state}: ${m.command}`;
}

function printAddress(ctx: CliContext, m: MachineInfo): void {
  if (!m.address) return;
  ctx.out.line(
    m.managed
      ? `Address: ${m.address} (also reached through the app's proxy)`
      : `Address: http://${m.address} (not routed by the app's proxy: it is outside the deploy group)`,
  );
}
