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
