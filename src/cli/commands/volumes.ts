// `berth volumes create|list|show|destroy`: persistent storage whose data outlives every
// release and machine. Each machine of a group with [mounts] source = NAME holds one.
import type { Command } from 'commander';
import { assertVolumeName, formatSize, parseVolumeSize } from '../../core/volumes/volume-name.js';
import type { VolumeInfo } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

interface VolumeOptions {
  app?: string;
  json?: boolean;
}

const APP_OPTION = ['-a, --app <name>', 'app name (default: the app in ./berth.toml)'] as const;

export function registerVolumes(program: Command, ctx: CliContext): void {
  const volumes = program
    .command('volumes')
    .description('Create, list, show and destroy volumes (data that outlives releases and machines)')
    .addHelpText('after', examples('berth volumes create data --size 1gb', 'berth volumes list -a web'));

  volumes
    .command('create <name>')
    .description('Create a volume; several may share a name (each machine of a group takes one)')
    .addHelpText('after', examples('berth volumes create data --size 1gb'))
    .option('--size <size>', 'size, e.g. 1gb, 500mb or 10 (gigabytes); recorded, not enforced', '1gb')
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<VolumeOptions & { size: string }>();
      assertVolumeName(name);
      parseVolumeSize(opts.size, '--size');
      const app = resolveAppName(ctx.cwd, opts.app);
      const volume = await (await ctx.client()).createVolume(app, { name, size: opts.size });
      if (opts.json) return ctx.out.json(volume);
      ctx.out.line(`Created volume ${volume.id} (${volume.name}, ${volume.size}) for app ${app}`);
      ctx.out.line(
        `A machine of a group with [mounts] source = "${volume.name}" attaches it when it starts.`,
      );
    });

  volumes
    .command('list')
    .description("List the app's volumes")
    .addHelpText('after', examples('berth volumes list -a web'))
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<VolumeOptions>();
      const list = await (await ctx.client()).listVolumes(resolveAppName(ctx.cwd, opts.app));
      if (opts.json) return ctx.out.json(list);
      if (list.length === 0) return ctx.out.line('No volumes. Create one with `berth volumes create NAME`.');
      // NODE only where a driver places volumes on nodes (swarm).
      const placed = list.some((v) => v.node !== null);
      ctx.out.line(
        table(
          ['ID', 'NAME', 'SIZE', 'USED', 'ATTACHED TO', ...(placed ? ['NODE'] : []), 'CREATED'],
          list.map((v) => [
            v.id,
            v.name,
            v.size,
            formatSize(v.usedBytes),
            v.machineId,
            ...(placed ? [nodeText(v)] : []),
            v.createdAt,
          ]),
        ),
      );
    });

  volumes
    .command('show <id>')
    .description('Show a volume: size, space used, where its data is, the machine it is attached to')
    .addHelpText('after', examples('berth volumes show vol_4f1c2a9e0b7d3105'))
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<VolumeOptions>();
      const volume = await (await ctx.client()).getVolume(resolveAppName(ctx.cwd, opts.app), id);
      if (opts.json) return ctx.out.json(volume);
      for (const [label, value] of describeVolume(volume)) ctx.out.line(`${label.padEnd(12)} ${value}`);
    });

  volumes
    .command('destroy <id>')
    .description('Destroy a volume and delete its data (refused while attached, unless --force)')
    .addHelpText('after', examples('berth volumes destroy vol_4f1c2a9e0b7d3105'))
    .option('--force', 'destroy it even while attached: its machine is drained and stopped first')
    .option(...APP_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<VolumeOptions & { force?: boolean }>();
      const result = await (
        await ctx.client()
      ).destroyVolume(resolveAppName(ctx.cwd, opts.app), id, {
        force: !!opts.force,
      });
      if (opts.json) return ctx.out.json(result);
      const stopped = result.stoppedMachine;
      if (stopped) {
        ctx.out.line(
          `Machine ${stopped.id} had the volume mounted${stopped.destination ? ` at ${stopped.destination}` : ''}: it was drained and stopped, and stays stopped. Started again, it attaches another volume of that name (a free one, or a new empty one).`,
        );
      }
      ctx.out.line(`Destroyed volume ${result.destroyed} and its data`);
    });
}

function describeVolume(v: VolumeInfo): Array<[string, string]> {
  return [
    ['Volume', `${v.id} (${v.name}) of ${v.app}`],
    ['Size', `${v.size}${v.quotaEnforced ? '' : ' (recorded; this driver does not enforce it)'}`],
    ['Used', formatSize(v.usedBytes)],
    ['Attached to', v.machineId ? `machine ${v.machineId} since ${v.attachedAt}` : 'nothing (free)'],
    ['Data', v.path],
    ...(v.node ? [['Node', nodeText(v)] as [string, string]] : []),
    ['Created', v.createdAt],
  ];
}

function nodeText(v: VolumeInfo): string {
  if (!v.node) return '-';
  return `${v.node.name}${v.node.address ? ` (${v.node.address})` : ''} ${v.node.id.slice(0, 12)}`;
}
