// Typed reads from the raw TOML tree. Each read takes the key path it reads, so every problem
// is recorded once, with its path and line, and reading goes on: the user sees all problems
// of a file at once. A read that fails returns undefined and the caller uses its default.

import type { ErrorCode } from '../errors.js';
import { unknownKeyHint } from './near-name.js';
import type { Diagnostic } from './types.js';
import {
  describeRange,
  formatDuration,
  inRange,
  parseDuration,
  type BareUnit,
  type DurationRange,
} from './duration.js';

export type Path = readonly (string | number)[];
export type Table = Record<string, unknown>;
export type Locate = (path: string[]) => { line: number; column: number } | undefined;

/** "services[2].ports[0].port" for ["services", 2, "ports", 0, "port"]. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** How a value looks in a message: `"abc"`, `8080`, `an array`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return 'a table';
}

/** The entries of [key] or [[key]] that are tables, without reporting anything. */
export function listTables(table: Table, key: string, base: Path): { table: Table; path: Path }[] {
  const value = table[key];
  if (isTable(value)) return [{ table: value, path: [...base, key] }];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i) => (isTable(item) ? [{ table: item, path: [...base, key, i] }] : []));
}

/** Problems kept per file: past this many, the rest are counted, not listed. */
export const MAX_DIAGNOSTICS = 200;

export class Reader {
  private readonly kept: Diagnostic[] = [];
  private errors = 0;
  private dropped = { error: 0, warning: 0 };

  constructor(private readonly locate: Locate) {}

  /** Every problem kept, and one more that counts those that were not. */
  get diagnostics(): Diagnostic[] {
    const { error, warning } = this.dropped;
    if (error + warning === 0) return this.kept;
    const counted = [error > 0 && `${error} error(s)`, warning > 0 && `${warning} warning(s)`].filter(
      Boolean,
    );
    const more: Diagnostic = {
      severity: error > 0 ? 'error' : 'warning',
      path: '',
      message: `and ${counted.join(' and ')} more, not listed`,
      hint: 'Fix the problems listed, then validate again to see the rest.',
    };
    return [...this.kept, more];
  }

  report(
    severity: Diagnostic['severity'],
    path: Path,
    message: string,
    /** A function when the hint costs something to make: called only for a diagnostic kept. */
    hint: string | (() => string),
    code?: ErrorCode,
  ): void {
    if (severity === 'error') this.errors++;
    if (this.kept.length >= MAX_DIAGNOSTICS) {
      this.dropped[severity]++;
      return;
    }
    const at = this.locate(path.map(String));
    const text = typeof hint === 'string' ? hint : hint();
    this.kept.push({ severity, path: formatPath(path), message, hint: text, ...at, ...(code && { code }) });
  }

  /** `code`: the catalog's code for an error that has one of its own. */
  error(path: Path, message: string, hint: string, code?: ErrorCode): void {
    this.report('error', path, message, hint, code);
  }

  warn(path: Path, message: string, hint: string | (() => string)): void {
    this.report('warning', path, message, hint);
  }

  /** Errors reported so far: a section compares it before and after reading itself. */
  get errorCount(): number {
    return this.errors;
  }

  get hasErrors(): boolean {
    return this.errors > 0;
  }

  /** Warn about keys that are neither read nor known to be harmless. */
  unknownKeys(table: Table, base: Path, known: readonly string[]): void {
    for (const key of Object.keys(table)) {
      if (known.includes(key)) continue;
      this.warn([...base, key], 'unknown key; berth ignores it', () =>
        unknownKeyHint(key, known, 'Check the spelling, or remove the key.'),
      );
    }
  }

  string(table: Table, key: string, base: Path): string | undefined {
    const value = table[key];
    if (value === undefined || typeof value === 'string') return value;
    this.error([...base, key], `must be a string (got ${describe(value)})`, `Put the value in quotes.`);
    return undefined;
  }

  /** A string, or a number or boolean turned into one (env values, build args). */
  text(table: Table, key: string, base: Path): string | undefined {
    const value = table[key];
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      return String(value);
    }
    return this.string(table, key, base);
  }

  boolean(table: Table, key: string, base: Path): boolean | undefined {
    const value = table[key];
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.error([...base, key], `must be true or false (got ${describe(value)})`, 'Write true or false.');
    return undefined;
  }

  /** A whole number, also when quoted ("8080"). */
  integer(
    table: Table,
    key: string,
    base: Path,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `between ${min} and ${max}`;
    this.error([...base, key], `must be a whole number ${range} (got ${describe(value)})`, 'Write a number.');
    return undefined;
  }

  port(table: Table, key: string, base: Path): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    this.error(
      [...base, key],
      `must be a port number between 1 and 65535 (got ${describe(value)})`,
      'Write the port the app listens on, e.g. 8080.',
    );
    return undefined;
  }

  /** Milliseconds within `range`; see duration.ts for what a bare number means. */
  duration(
    table: Table,
    key: string,
    base: Path,
    bareUnit: BareUnit,
    range: DurationRange,
  ): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const ms = parseDuration(value, bareUnit);
    const unit = bareUnit === 's' ? 'seconds' : 'milliseconds';
    if (ms === undefined) {
      this.error(
        [...base, key],
        `must be a duration (got ${describe(value)})`,
        `Write a duration such as "5s", "1m30s" or "500ms" (a bare number means ${unit}), ${describeRange(range)}.`,
      );
      return undefined;
    }
    if (inRange(ms, range)) return ms;
    this.error(
      [...base, key],
      `must be ${describeRange(range)} (got ${describe(value)})`,
      `Write a duration ${describeRange(range)}, such as "${formatDuration(Math.max(range.min, 5_000))}" (a bare number means ${unit}).`,
    );
    return undefined;
  }

  /** A list of strings; a single string is a list of one. */
  strings(table: Table, key: string, base: Path): string[] | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return [value];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    this.error([...base, key], `must be a list of strings (got ${describe(value)})`, 'Write e.g. ["app"].');
    return undefined;
  }

  table(table: Table, key: string, base: Path): Table | undefined {
    const value = table[key];
    if (value === undefined || isTable(value)) return value;
    this.error(
      [...base, key],
      `must be a table (got ${describe(value)})`,
      `Write it as [${formatPath([...base, key])}].`,
    );
    return undefined;
  }

  /**
   * The entries of a section written either as [key] (one table) or [[key]] (an array of
   * tables), each with the path it has in the file. An empty array (`http_checks = []`) is none.
   */
  tables(table: Table, key: string, base: Path): { table: Table; path: Path }[] {
    const value = table[key];
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (!isTable(item)) {
          this.error([...base, key, i], `must be a table (got ${describe(item)})`, `Write it as [[${key}]].`);
        }
      });
    } else if (value !== undefined && !isTable(value)) {
      this.error([...base, key], `must be a table (got ${describe(value)})`, `Write it as [[${key}]].`);
    }
    return listTables(table, key, base);
  }
}
