// Printing: human tables and lines, or JSON with stable field names under --json.
import { ApiError } from '../sdk/api-error.js';
import { BerthError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';

export interface Output {
  line(text?: string): void;
  /** Progress and notices go to stderr, so stdout stays clean for --json and pipes. */
  note(text: string): void;
  json(value: unknown): void;
}

export const stdio: Output = {
  line: (text = '') => process.stdout.write(text + '\n'),
  note: (text) => process.stderr.write(text + '\n'),
  json: (value) => process.stdout.write(JSON.stringify(value, null, 2) + '\n'),
};

/** Renders rows as aligned columns under a header. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

/** A failure the CLI has already explained, carrying the exit code to leave with. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** Prints an error as "error: message" then its hint, and returns the exit code for it. */
export function reportError(err: unknown, out: Output, asJson: boolean): number {
  if (err instanceof CliExit) return err.exitCode;
  let code = 'internal';
  let message = String(err);
  let hint = '';
  let exitCode: number = EXIT.failure;
  if (err instanceof ApiError || err instanceof BerthError) {
    code = err.code;
    message = err.message;
    hint = err.hint;
    // The request itself was wrong (a 4xx): fixing the input is the way forward.
    const status = err instanceof BerthError ? err.status : err.status;
    if (status >= 400 && status < 500) exitCode = EXIT.usage;
  } else if (err instanceof Error) {
    message = err.message;
  }
  if (asJson) {
    process.stdout.write(JSON.stringify({ error: { code, message, hint } }) + '\n');
  } else {
    out.note(`error: ${message}`);
    if (hint) out.note(`  hint: ${hint}`);
    if (code !== 'internal') out.note(`  code: ${code}`);
  }
  return exitCode;
}
