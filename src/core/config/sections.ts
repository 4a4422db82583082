// The smaller sections: [build], [deploy], [env], [processes], [mounts].

import { ERROR_CATALOG } from '../errors.js';
import { parseConstraint } from '../placement.js';
import type { AppConfig, DeployStrategy, MountConfig } from './types.js';
import { describe, type Reader, type Table } from './reader.js';
import { TIMEOUT_RANGE } from './duration.js';

export const DEPLOY_DEFAULTS = {
  strategy: 'rolling',
  releaseCommandTimeoutMs: 5 * 60_000,
  maxUnavailable: 0.33,
  waitTimeoutMs: 5 * 60_000,
  maxUnhealthyChecks: 10,
} as const;

// fly keys with no meaning for berth, accepted without a word.
const FLY_BUILD_KEYS = ['ignorefile', 'dockerignorefile', 'settings'];
// fly's spellings of the Dockerfile stage to build, first one first.
const TARGET_KEYS = ['build-target', 'build_target', 'target'] as const;
// Cloud Native Buildpacks: fly builds with them, berth does not.
const BUILDPACK_KEYS = ['builder', 'buildpacks'] as const;
const FLY_MOUNT_KEYS = [
  'auto_extend_size_threshold',
  'auto_extend_size_increment',
  'auto_extend_size_limit',
  'snapshot_retention',
  'scheduled_snapshots',
];

export function readBuild(r: Reader, raw: Table): AppConfig['build'] {
  const base = ['build'];
  const t = r.table(raw, 'build', []) ?? {};
  r.unknownKeys(t, base, [
    'command',
    'image',
    'dockerfile',
    'args',
    'builtin',
    ...TARGET_KEYS,
    ...BUILDPACK_KEYS,
    ...FLY_BUILD_KEYS,
  ]);
  if (t.builtin !== undefined) {
    r.warn(
      [...base, 'builtin'],
      "fly's builtin builders are not available; berth ignores it",
      'Add a Dockerfile, or a [build] command for the process driver.',
    );
  }
  const build: AppConfig['build'] = { args: stringTable(r, t, 'args', base) };
  for (const key of ['command', 'image', 'dockerfile', 'builder'] as const) {
    const value = r.string(t, key, base);
    if (value !== undefined && value.trim() !== '') build[key] = value;
  }
  const target = readTarget(r, t);
  if (target !== undefined) build.target = target;
  if (build.image !== undefined && build.dockerfile !== undefined) {
    r.warn(
      [...base, 'dockerfile'],
      `[build] image is given, so berth runs ${describe(build.image)} and does not build the Dockerfile`,
      'Remove one of image and dockerfile.',
    );
  }
  readBuildpacks(r, t, build);
  return build;
}

/** `build-target`, `build_target` or `target`: the first written wins; a second that differs is a warning. */
function readTarget(r: Reader, t: Table): string | undefined {
  const found = TARGET_KEYS.flatMap((key) => {
    const value = r.string(t, key, ['build'])?.trim();
    return value ? [{ key, value }] : [];
  });
  const [first, ...rest] = found;
  for (const other of rest.filter((o) => o.value !== first?.value)) {
    r.warn(
      ['build', other.key],
      `differs from ${first!.key} = ${describe(first!.value)}; berth builds the stage ${describe(first!.value)}`,
      `Keep one of ${TARGET_KEYS.join(', ')}.`,
    );
  }
  return first?.value;
}

/**
 * berth does not run buildpacks. With a Dockerfile or an image named beside them, those are
 * built or run instead (a warning); with nothing else to build, the config is refused.
 */
function readBuildpacks(r: Reader, t: Table, build: AppConfig['build']): void {
  const key = BUILDPACK_KEYS.find((k) => {
    const value = t[k];
    return Array.isArray(value)
      ? value.length > 0
      : typeof value === 'string'
        ? value.trim() !== ''
        : value !== undefined;
  });
  if (key === undefined) return;
  const path = ['build', key];
  const instead =
    build.image !== undefined ? 'image' : build.dockerfile !== undefined ? 'dockerfile' : undefined;
  if (instead !== undefined) {
    r.warn(
      path,
      `buildpacks are not supported; berth uses [build] ${instead} instead`,
      `Remove ${key} if [build] ${instead} is how the app is built.`,
    );
    return;
  }
  r.error(
    path,
    `buildpacks are not supported (got ${describe(t[key])}); berth builds a Dockerfile or runs an image`,
    ERROR_CATALOG.unsupported_builder.hint,
    'unsupported_builder',
  );
}

export function readDeploy(r: Reader, raw: Table): AppConfig['deploy'] {
  const base = ['deploy'];
  const t = r.table(raw, 'deploy', []) ?? {};
  r.unknownKeys(t, base, [
    'strategy',
    'release_command',
    'release_command_timeout',
    'max_unavailable',
    'wait_timeout',
    'max_unhealthy_checks',
    'release_command_vm',
    'placement',
  ]);
  const releaseCommand = r.string(t, 'release_command', base);
  const placement = readPlacement(r, t);
  return {
    strategy: readStrategy(r, t),
    ...(releaseCommand?.trim() && { releaseCommand }),
    releaseCommandTimeoutMs:
      r.duration(t, 'release_command_timeout', base, 's', TIMEOUT_RANGE) ??
      DEPLOY_DEFAULTS.releaseCommandTimeoutMs,
    maxUnavailable: readMaxUnavailable(r, t),
    waitTimeoutMs: r.duration(t, 'wait_timeout', base, 's', TIMEOUT_RANGE) ?? DEPLOY_DEFAULTS.waitTimeoutMs,
    maxUnhealthyChecks:
      r.integer(t, 'max_unhealthy_checks', base, 1, MAX_UNHEALTHY_CHECKS) ??
      DEPLOY_DEFAULTS.maxUnhealthyChecks,
    ...(placement.length > 0 && { placement }),
  };
}

/** [deploy] placement: Swarm constraints, each judged here so a typo is a config error, not a stuck machine. */
function readPlacement(r: Reader, t: Table): string[] {
  const list = r.strings(t, 'placement', ['deploy']) ?? [];
  const good: string[] = [];
  for (const [i, text] of list.entries()) {
    const c = parseConstraint(text);
    if (typeof c === 'string') {
      r.error(
        ['deploy', 'placement', i],
        `${JSON.stringify(text)} ${c}`,
        'Write e.g. placement = ["node.labels.region==eu", "node.role!=manager"].',
      );
    } else good.push(`${c.attribute}${c.op}${c.value}`);
  }
  return good;
}

/** More failures in a row than this is a wait_timeout in disguise. */
const MAX_UNHEALTHY_CHECKS = 10_000;

const STRATEGIES: readonly DeployStrategy[] = ['rolling', 'immediate', 'canary', 'bluegreen'];

/** fly's names, in any case; "blue-green" and "blue_green" too. */
function readStrategy(r: Reader, t: Table): DeployStrategy {
  const value = r.string(t, 'strategy', ['deploy']);
  if (value === undefined) return DEPLOY_DEFAULTS.strategy;
  const name = value.toLowerCase().replace(/[-_\s]/g, '');
  const strategy = STRATEGIES.find((s) => s === name);
  if (strategy) return strategy;
  r.error(
    ['deploy', 'strategy'],
    `is not a deploy strategy (got ${describe(value)})`,
    `Use one of ${STRATEGIES.map((s) => `"${s}"`).join(', ')}.`,
  );
  return DEPLOY_DEFAULTS.strategy;
}

function readMaxUnavailable(r: Reader, t: Table): number {
  const value = t.max_unavailable;
  if (value === undefined) return DEPLOY_DEFAULTS.maxUnavailable;
  if (typeof value === 'number' && value > 0 && (value < 1 || Number.isInteger(value))) return value;
  r.error(
    ['deploy', 'max_unavailable'],
    `must be a fraction between 0 and 1 or a whole number of machines (got ${describe(value)})`,
    'Write e.g. max_unavailable = 0.33 (a third of the machines at a time) or 1.',
  );
  return DEPLOY_DEFAULTS.maxUnavailable;
}

export function readEnv(r: Reader, raw: Table): Record<string, string> {
  return stringTable(r, raw, 'env', []);
}

/** A table whose values become strings: numbers and booleans are written as they read. */
function stringTable(r: Reader, t: Table, key: string, base: string[]): Record<string, string> {
  const table = r.table(t, key, base);
  const out: Record<string, string> = {};
  for (const name of Object.keys(table ?? {})) {
    const value = r.text(table ?? {}, name, [...base, key]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * [processes]: name = "command", or name = ["argv", "list"]. An empty command (app = "") is
 * kept as '': the image's own CMD on the docker driver; the process driver refuses it.
 */
export function readProcesses(r: Reader, raw: Table): Record<string, string> {
  const value = raw.processes;
  // Old fly files write `processes = []` at the top level, a list that named no groups.
  if (Array.isArray(value)) {
    if (value.length > 0) {
      r.warn(
        ['processes'],
        'a list of processes names no commands; berth ignores it',
        'Write a [processes] table: name = "command".',
      );
    }
    return {};
  }
  const t = r.table(raw, 'processes', []) ?? {};
  const out: Record<string, string> = {};
  for (const [name, command] of Object.entries(t)) {
    const path = ['processes', name];
    const line =
      Array.isArray(command) && command.every((a) => typeof a === 'string') ? shellJoin(command) : command;
    if (typeof line !== 'string') {
      r.error(
        path,
        `must be a command string or a list of arguments (got ${describe(command)})`,
        `Write ${name} = "command --flag".`,
      );
    } else {
      out[name] = line.trim() === '' ? '' : line;
    }
  }
  return out;
}

/** Join argv into one shell command line, quoting what the shell would split or expand. */
export function shellJoin(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** [mounts] or [[mounts]], and fly's older [mount]. */
export function readMounts(r: Reader, raw: Table): MountConfig[] {
  const mounts: MountConfig[] = [];
  for (const { table, path } of [...r.tables(raw, 'mounts', []), ...r.tables(raw, 'mount', [])]) {
    r.unknownKeys(table, path, ['source', 'destination', 'initial_size', 'processes', ...FLY_MOUNT_KEYS]);
    const source = r.string(table, 'source', path);
    const destination = r.string(table, 'destination', path);
    const initialSize = r.text(table, 'initial_size', path);
    const processes = r.strings(table, 'processes', path) ?? [];
    if (!source) r.error(path, 'the mount has no source', 'Add source = "NAME", the name of the volume.');
    if (destination === undefined) {
      r.error(path, 'the mount has no destination', 'Add destination = "/data", where the volume appears.');
    } else if (!destination.startsWith('/')) {
      r.error(
        [...path, 'destination'],
        `must be an absolute path (got ${describe(destination)})`,
        'Write e.g. destination = "/data".',
      );
    }
    if (source && destination?.startsWith('/')) {
      mounts.push({ source, destination, ...(initialSize && { initialSize }), processes });
    }
  }
  return mounts;
}
