// Finding, reading and parsing berth.toml / fly.toml. The deciding is in core/config; this
// file only touches the disk and turns the TOML parser's exceptions into diagnostics.

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { BerthError } from '../core/errors.js';
import { indexKeys, MAX_KEY_PARTS } from '../core/config/locate.js';
import { normalizeConfig } from '../core/config/normalize.js';
import type { Diagnostic, LoadedConfig } from '../core/config/types.js';

export const CONFIG_FILE_NAMES = ['berth.toml', 'fly.toml'] as const;

/**
 * The largest config berth reads. Real files are a few kilobytes (the largest fly.toml we know
 * of is 8 KB); the cap keeps the daemon's parse of an uploaded config within a few
 * milliseconds, whatever the text holds.
 */
export const MAX_CONFIG_BYTES = 64 * 1024;

/** The config file to use: `explicit` (relative to the working directory), else berth.toml, else fly.toml in `dir`. */
export function findConfigFile(dir: string, explicit?: string): string {
  if (explicit !== undefined) {
    const file = resolve(explicit);
    if (!existsSync(file)) {
      throw new BerthError('config_not_found', `config file ${explicit} does not exist`, {
        hint: 'Check the path given to -c; it is relative to the current directory.',
      });
    }
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = join(resolve(dir), name);
    if (existsSync(file)) return file;
  }
  throw new BerthError('config_not_found', `no berth.toml or fly.toml in ${resolve(dir)}`);
}

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(err)})`;
    throw new BerthError('config_not_found', `config file ${file} ${reason}`);
  }
  return loadConfigText(text, file);
}

/** Parse and normalize config text; never throws for anything in the text. */
export function loadConfigText(text: string, file: string): LoadedConfig {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    const diagnostic: Diagnostic = {
      severity: 'error',
      path: '',
      message: `the file is ${bytes} bytes, more than berth reads (${MAX_CONFIG_BYTES} bytes)`,
      hint: 'A config holds settings, not data: move large values into files of the app or into secrets.',
    };
    return { file, diagnostics: [diagnostic] };
  }
  // Indexed first: the scan is linear, and it refuses keys deep enough to make the parser slow.
  const keys = indexKeys(text);
  if (keys.tooDeep) {
    const { parts, line, column } = keys.tooDeep;
    const diagnostic: Diagnostic = {
      severity: 'error',
      path: '',
      message: `the key on this line has ${parts} dotted parts; berth reads keys of at most ${MAX_KEY_PARTS}`,
      hint: 'Real settings are a few levels deep, e.g. [http_service.concurrency]; remove the extra parts.',
      line,
      column,
    };
    return { file, diagnostics: [diagnostic] };
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    return { file, diagnostics: [syntaxDiagnostic(err, text)] };
  }
  const { config, diagnostics } = normalizeConfig(raw, keys.locate);
  return { ...(config && { config }), diagnostics, file };
}

function syntaxDiagnostic(err: unknown, text: string): Diagnostic {
  if (!(err instanceof TomlError)) {
    return { severity: 'error', path: '', message: `invalid TOML: ${String(err)}`, hint: SYNTAX_HINT };
  }
  // smol-toml's message is a first line plus a code excerpt; the excerpt is what line/column give.
  const reason = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
  const source = text.split(/\r?\n/)[err.line - 1] ?? '';
  const name = /^\s*\[*\s*([^=\]]+?)\s*[=\]]/.exec(source)?.[1];
  const redefined = /redefine/.test(reason);
  return {
    severity: 'error',
    path: '',
    message:
      redefined && name
        ? `invalid TOML: ${name} is defined twice in the same table (column ${err.column})`
        : `invalid TOML: ${reason} (column ${err.column})`,
    hint: redefined
      ? 'Remove or rename the second definition; a key or table may appear only once.'
      : SYNTAX_HINT,
    line: err.line,
    column: err.column,
  };
}

const SYNTAX_HINT = 'Fix the TOML syntax on that line: strings need quotes, sections need [brackets].';

/**
 * One line per problem, errors first, each followed by its hint:
 * `berth.toml:12: error: http_service.internal_port: must be a port number… \n  hint: …`.
 */
export function formatDiagnostics(loaded: Pick<LoadedConfig, 'file' | 'diagnostics'>): string {
  const name = displayName(loaded.file);
  const rank = (d: Diagnostic) => (d.severity === 'error' ? 0 : 1);
  const sorted = [...loaded.diagnostics].sort((a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0));
  return sorted
    .map((d) => {
      const where = d.line === undefined ? name : `${name}:${d.line}`;
      const key = d.path ? `${d.path}: ` : '';
      return `${where}: ${d.severity}: ${key}${d.message}\n  hint: ${d.hint}`;
    })
    .join('\n');
}

/** Relative to the working directory when inside it, so messages stay short. */
function displayName(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
