// What a deploy must refuse, before anything changes, when volumes are involved: a mount
// whose source or size is not valid, a source that differs from the volumes the group's
// machines already hold (the data would silently go missing), and strategies that need a
// second set of machines beside the first (a volume is attached to one machine at a time).
import type { AppConfig, DeployStrategy, MountConfig } from '../config/types.js';
import { BerthError } from '../errors.js';
import { isVolumeName, parseVolumeSize } from './volume-name.js';

/** A volume attached to one of the app's managed machines. */
export interface HeldVolume {
  machineId: string;
  group: string;
  name: string;
}

/** The mounts of a process group: those naming it, and those naming no group at all. */
export function mountsForGroup(config: AppConfig, group: string): MountConfig[] {
  return config.mounts.filter((m) => m.processes.length === 0 || m.processes.includes(group));
}

/** Paths a volume must not hide: the machine needs the host's own there to run at all. */
const SYSTEM_PATHS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
];

function destinationProblem(destination: string): string | undefined {
  const parts = destination.split('/').slice(1);
  if (parts.some((p) => p === '.' || p === '..')) return 'must not contain "." or ".." components';
  const normal = '/' + parts.filter(Boolean).join('/');
  if (normal === '/') return 'must not be "/"';
  const system = SYSTEM_PATHS.find((p) => normal === p || normal.startsWith(`${p}/`));
  if (system) return `is under ${system}, which the machine needs from the host`;
  return undefined;
}

export function checkVolumeDeploy(input: {
  config: AppConfig;
  strategy: DeployStrategy;
  held: HeldVolume[];
}): BerthError | undefined {
  const { config, strategy, held } = input;
  for (const [i, mount] of config.mounts.entries()) {
    const where = config.mounts.length > 1 ? `mounts[${i}]` : 'mounts';
    if (!isVolumeName(mount.source)) {
      return new BerthError(
        'invalid_config',
        `${where}.source ${JSON.stringify(mount.source)} is not a valid volume name`,
        {
          hint: 'Use 1-30 lowercase letters, digits and underscores, starting with a letter, e.g. source = "data".',
        },
      );
    }
    const problem = destinationProblem(mount.destination);
    if (problem) {
      return new BerthError(
        'invalid_config',
        `${where}.destination ${JSON.stringify(mount.destination)} ${problem}`,
        {
          hint: 'Mount the volume at a directory of its own, e.g. destination = "/data".',
        },
      );
    }
    const clash = config.mounts.findIndex(
      (other, j) =>
        j < i &&
        other.destination.replace(/\/+$/, '') === mount.destination.replace(/\/+$/, '') &&
        (other.processes.length === 0 ||
          mount.processes.length === 0 ||
          other.processes.some((g) => mount.processes.includes(g))),
    );
    if (clash >= 0) {
      return new BerthError(
        'invalid_config',
        `${where}.destination ${JSON.stringify(mount.destination)} is also mounts[${clash}].destination`,
        {
          hint: 'Give each mount of a process group its own destination.',
        },
      );
    }
    if (mount.initialSize !== undefined) {
      try {
        parseVolumeSize(mount.initialSize, `${where}.initial_size`);
      } catch (err) {
        if (err instanceof BerthError)
          return new BerthError('invalid_config', err.message, { hint: err.hint });
        throw err;
      }
    }
  }

  for (const volume of held) {
    const sources = mountsForGroup(config, volume.group).map((m) => m.source);
    if (sources.length === 0 || sources.includes(volume.name)) continue;
    return new BerthError(
      'volume_source_changed',
      `machine ${volume.machineId} (${volume.group}) holds volume "${volume.name}", but this release mounts source "${sources.join('", "')}" instead: changing a mount's source would swap the machine's data`,
      {
        hint: `Keep source = "${volume.name}" (changing destination is fine: the same data is mounted at the new path), or move the data and destroy the old machines first.`,
      },
    );
  }

  const usesVolumes = config.mounts.length > 0 || held.length > 0;
  if (usesVolumes && (strategy === 'canary' || strategy === 'bluegreen')) {
    return new BerthError(
      'volumes_need_rolling',
      `the ${strategy} strategy cannot be used with volumes: it starts new machines beside the old ones, and a volume is attached to one machine at a time, so the new machines would start with empty volumes`,
      {
        hint: 'Use strategy = "rolling" (machines with volumes are stopped, then started on the new release, one batch at a time) or "immediate".',
      },
    );
  }
  return undefined;
}
