// What each process group runs: the file's [processes], else a Procfile, else `npm start`.
// The caller reads the files; this only decides.

import { BerthError } from '../errors.js';
import { DEFAULT_PROCESS_GROUP, type AppConfig } from './types.js';

export type CommandSource = 'processes' | 'procfile' | 'npm-start';

export function resolveCommands(
  config: AppConfig,
  files: { procfile?: string; packageJson?: string },
): { commands: Record<string, string>; source: CommandSource } | { error: BerthError } {
  if (Object.keys(config.processes).length > 0)
    return { commands: { ...config.processes }, source: 'processes' };

  const procfile = files.procfile === undefined ? {} : parseProcfile(files.procfile);
  if (Object.keys(procfile).length > 0) return { commands: procfile, source: 'procfile' };

  if (files.packageJson !== undefined && hasStartScript(files.packageJson)) {
    return { commands: { [DEFAULT_PROCESS_GROUP]: 'npm start' }, source: 'npm-start' };
  }

  const missing = [
    'no [processes] in the config',
    files.procfile === undefined ? 'no Procfile' : 'no commands in the Procfile',
    files.packageJson === undefined ? 'no package.json' : 'no "start" script in package.json',
  ];
  return { error: new BerthError('no_command', `nothing to run: ${missing.join(', ')}`) };
}

/**
 * The process driver's refusal of a group whose command is '' ([processes] app = ""): on the
 * docker driver it means the image's own CMD, but a process has no image to take one from.
 */
export function emptyCommandError(commands: Record<string, string>): BerthError | undefined {
  const empty = Object.keys(commands).filter((group) => commands[group]!.trim() === '');
  if (empty.length === 0) return undefined;
  const named = empty.map((g) => `"${g}"`).join(', ');
  const written = empty.map((g) => `${g} = ""`).join(', ');
  return new BerthError(
    'empty_command',
    `process group${empty.length > 1 ? 's' : ''} ${named} ha${empty.length > 1 ? 've' : 's'} an empty command ([processes] ${written}), which means the image's own CMD; the process driver runs no image, so it has nothing to run`,
  );
}

/** `name: command` lines; blank lines, `#` comments and lines without a name are skipped. */
export function parseProcfile(text: string): Record<string, string> {
  const commands: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (match?.[1] && match[2]) commands[match[1]] = match[2];
  }
  return commands;
}

function hasStartScript(packageJson: string): boolean {
  try {
    const pkg: unknown = JSON.parse(packageJson);
    const scripts = (pkg as { scripts?: unknown } | null)?.scripts;
    const start = (scripts as Record<string, unknown> | null | undefined)?.start;
    return typeof start === 'string' && start.trim() !== '';
  } catch {
    // Unparseable: as if it had no start script; the no_command error says where we looked.
    return false;
  }
}
