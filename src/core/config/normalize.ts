// Turns the parsed TOML tree of a berth.toml or fly.toml into the one AppConfig the rest of
// berth reads, collecting every problem on the way. Pure: the caller parses the text and
// passes `locate`, which maps a key path to its line.
//
// The rules, in short: a file fly accepts loads here. Keys and sections berth does not know
// are warnings ("berth ignores it"); fly settings with no meaning on one's own hardware are
// warned about once per section; only what would make berth do the wrong thing is an error.

import { isValidAppName } from '../app-name.js';
import { ERROR_CATALOG } from '../errors.js';
import { DEFAULT_PROCESS_GROUP, type AppConfig, type Diagnostic } from './types.js';
import { readTopLevelChecks } from './checks.js';
import { TIMEOUT_RANGE } from './duration.js';
import { describe, isTable, listTables, Reader, type Locate, type Path, type Table } from './reader.js';
import { readBuild, readDeploy, readEnv, readMounts, readProcesses } from './sections.js';
import { readNotify } from './notify.js';
import { readSchedules } from './schedules.js';
import { unknownKeyHint } from './near-name.js';
import { httpCheckPort, readHttpService, readServices } from './services.js';
import { readVm } from './vm.js';

export const KILL_DEFAULTS = { killSignal: 'SIGINT', killTimeoutMs: 5_000 } as const;

const BERTH_KEYS = [
  'app',
  'primary_region',
  'kill_signal',
  'kill_timeout',
  'build',
  'deploy',
  'env',
  'processes',
  'http_service',
  'services',
  'checks',
  'mounts',
  'mount',
  'schedules',
  'notify',
  'vm',
];
// fly settings that size, place or observe machines in fly's cloud: nothing to do here.
const FLY_ONLY_KEYS = [
  'metrics',
  'statics',
  'experimental',
  'swap_size_mb',
  'console_command',
  'org',
  'restart',
  'files',
  'host_dedication_id',
];

const SIGNALS = ['HUP', 'INT', 'QUIT', 'ABRT', 'KILL', 'USR1', 'USR2', 'TERM', 'STOP', 'WINCH'];
// Template engines and launch scripts leave these in names they were meant to fill in.
const PLACEHOLDER = /[{}<>%$]/;

export function normalizeConfig(
  raw: unknown,
  locate: Locate,
): { config?: AppConfig; diagnostics: Diagnostic[] } {
  const r = new Reader(locate);
  if (!isTable(raw)) {
    r.error([], 'the file is not a TOML table', 'Write the config as key = value lines and [sections].');
    return { diagnostics: r.diagnostics };
  }
  reportUnknownTopLevel(r, raw);

  const app = readAppName(r, raw);
  const primaryRegion = r.string(raw, 'primary_region', []);
  const processes = readProcesses(r, raw);
  const httpService = readHttpService(r, raw);
  const services = readServices(r, raw);
  const config: AppConfig = {
    ...(app !== undefined && { app }),
    ...(primaryRegion !== undefined && { primaryRegion }),
    killSignal: readKillSignal(r, raw),
    killTimeoutMs: r.duration(raw, 'kill_timeout', [], 's', TIMEOUT_RANGE) ?? KILL_DEFAULTS.killTimeoutMs,
    build: readBuild(r, raw),
    deploy: readDeploy(r, raw),
    env: readEnv(r, raw),
    processes,
    ...(httpService && { httpService }),
    services,
    checks: readTopLevelChecks(r, raw, httpCheckPort(httpService, services)),
    mounts: readMounts(r, raw),
    schedules: readSchedules(r, raw),
    ...readNotify(r, raw),
    vm: readVm(r, raw),
  };
  checkProcessGroups(r, raw, config);

  return r.hasErrors ? { diagnostics: r.diagnostics } : { config, diagnostics: r.diagnostics };
}

function reportUnknownTopLevel(r: Reader, raw: Table): void {
  for (const key of Object.keys(raw)) {
    if (BERTH_KEYS.includes(key)) continue;
    if (!FLY_ONLY_KEYS.includes(key)) {
      r.warn([key], 'unknown key or section; berth ignores it', () =>
        unknownKeyHint(key, BERTH_KEYS, 'Check the spelling, or remove it.'),
      );
      continue;
    }
    r.warn(
      [key],
      'a fly.io setting with no effect on your own hardware; berth ignores it',
      'Keep it if fly also deploys this file, or remove it.',
    );
    const experimental = raw.experimental;
    if (key === 'experimental' && isTable(experimental) && experimental.cmd !== undefined) {
      r.warn(
        ['experimental', 'cmd'],
        'berth does not run experimental.cmd',
        'Put the command in [processes], e.g. app = "./start.sh".',
      );
    }
  }
}

/** The app name, or undefined when the file leaves it to `-a` or the directory's name. */
function readAppName(r: Reader, raw: Table): string | undefined {
  const value = r.string(raw, 'app', []);
  if (value === undefined) return undefined;
  const name = value.trim();
  if (name === '') {
    r.warn(
      ['app'],
      'the app name is empty; berth uses -a NAME or the directory name',
      'Write app = "my-app", or pass -a NAME.',
    );
    return undefined;
  }
  if (PLACEHOLDER.test(name)) {
    r.warn(
      ['app'],
      `${describe(name)} is a template placeholder, not a name; berth uses -a NAME or the directory name`,
      'Replace the placeholder with the app name, or pass -a NAME.',
    );
    return undefined;
  }
  if (!isValidAppName(name)) {
    r.error(['app'], `is not a valid app name (got ${describe(name)})`, ERROR_CATALOG.invalid_app_name.hint);
    return undefined;
  }
  return name;
}

/** "SIGTERM", "TERM" or "sigterm" -> "SIGTERM". */
function readKillSignal(r: Reader, raw: Table): string {
  const value = r.string(raw, 'kill_signal', []);
  if (value === undefined) return KILL_DEFAULTS.killSignal;
  const name = value.trim().toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.includes(name)) return `SIG${name}`;
  r.error(
    ['kill_signal'],
    `is not a signal berth can send (got ${describe(value)})`,
    `Use one of ${SIGNALS.map((s) => `SIG${s}`).join(', ')}.`,
  );
  return KILL_DEFAULTS.killSignal;
}

/** Every `processes = [...]` must name groups that [processes] defines. */
function checkProcessGroups(r: Reader, raw: Table, config: AppConfig): void {
  const groups = Object.keys(config.processes);
  const uses: { path: Path; processes: string[] }[] = [];
  const http = raw.http_service;
  if (isTable(http)) uses.push({ path: ['http_service', 'processes'], processes: strings(http.processes) });
  for (const key of ['services', 'mounts', 'mount']) {
    for (const { table, path } of listTables(raw, key, [])) {
      uses.push({ path: [...path, 'processes'], processes: strings(table.processes) });
    }
  }

  for (const { path, processes } of uses) {
    for (const group of processes) {
      if (groups.length > 0 && !groups.includes(group)) {
        r.error(
          path,
          `names process group "${group}", which [processes] does not define (it defines ${groups.map((g) => `"${g}"`).join(', ')})`,
          `Use one of those groups, or add ${group} = "command" to [processes].`,
        );
      } else if (groups.length === 0 && group !== DEFAULT_PROCESS_GROUP) {
        r.warn(
          path,
          `names process group "${group}", but the file has no [processes]`,
          `Define "${group}" in [processes], unless a Procfile defines it.`,
        );
      }
    }
  }
  // A [[vm]] for a group that does not exist sizes nothing, which is worth a word, not a refusal.
  for (const { table, path } of listTables(raw, 'vm', [])) {
    const unknown = strings(table.processes).filter((g) => groups.length > 0 && !groups.includes(g));
    if (unknown.length > 0) {
      r.warn(
        [...path, 'processes'],
        `names process group(s) ${unknown.map((g) => `"${g}"`).join(', ')}, which [processes] does not define; they size nothing`,
        `Use groups of [processes] (${groups.map((g) => `"${g}"`).join(', ')}).`,
      );
    }
  }
  if (config.httpService?.processes.length === 0 && groups.length > 1) {
    r.warn(
      ['http_service'],
      `names no process group, so every group serves it (${groups.map((g) => `"${g}"`).join(', ')})`,
      `Write processes = ["${groups[0]}"] (or the groups that listen for HTTP) so that the others are not health-checked.`,
    );
  }
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
