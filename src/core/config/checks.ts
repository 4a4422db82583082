// Health checks, which files write in three places with one shape: [checks.NAME] at the top
// level, [[http_service.checks]], and [[services.tcp_checks]] / [[services.http_checks]].
//
// Durations: a bare number in any check is milliseconds (fly's reading: old files write
// interval = 10000), a string is a duration ("15s"). Defaults follow fly.

import type { CheckConfig } from './types.js';
import { CHECK_RANGE, GRACE_RANGE } from './duration.js';
import { describe, isTable, type Path, type Reader, type Table } from './reader.js';

export const CHECK_DEFAULTS = {
  intervalMs: 15_000,
  timeoutMs: 2_000,
  gracePeriodMs: 0,
  method: 'GET',
  path: '/',
} as const;

const CHECK_KEYS = [
  'type',
  'port',
  'interval',
  'timeout',
  'grace_period',
  'method',
  'path',
  'protocol',
  'headers',
];
// fly keys with no effect on berth's checker: accepted without a word.
const FLY_CHECK_KEYS = ['restart_limit', 'tls_skip_verify', 'tls_server_name', 'kind', 'command', 'args'];

export interface CheckContext {
  name: string;
  /** Fixed by where the check is written (tcp_checks, http_checks); read from `type` otherwise. */
  type?: 'http' | 'tcp';
  /** What `type` means when absent. */
  defaultType: 'http' | 'tcp';
  /** The service's internal port, used when the check names none. */
  defaultPort?: number;
  /** The hint when the check has no port and there is no default. */
  noPortHint?: string;
}

export function readCheck(r: Reader, t: Table, path: Path, ctx: CheckContext): CheckConfig | undefined {
  const type = ctx.type ?? readType(r, t, path, ctx.defaultType);
  if (type === 'script') return undefined;
  r.unknownKeys(t, path, [...CHECK_KEYS, ...FLY_CHECK_KEYS]);
  const port = r.port(t, 'port', path) ?? ctx.defaultPort;
  const intervalMs = r.duration(t, 'interval', path, 'ms', CHECK_RANGE) ?? CHECK_DEFAULTS.intervalMs;
  const timeoutMs = r.duration(t, 'timeout', path, 'ms', CHECK_RANGE) ?? CHECK_DEFAULTS.timeoutMs;
  const gracePeriodMs =
    r.duration(t, 'grace_period', path, 'ms', GRACE_RANGE) ?? CHECK_DEFAULTS.gracePeriodMs;
  const method = readMethod(r, t, path);
  const checkPath = readCheckPath(r, t, path);
  const protocol = readProtocol(r, t, path);
  const headers = readHeaders(r, t, path);

  if (port === undefined && t.port === undefined) {
    r.error(
      path,
      'the check has no port',
      ctx.noPortHint ?? 'Add port = N, the internal port the check connects to.',
    );
  }
  if (type === undefined || port === undefined) return undefined;
  return {
    name: ctx.name,
    type,
    port,
    intervalMs,
    timeoutMs,
    gracePeriodMs,
    method,
    path: checkPath,
    protocol,
    headers,
  };
}

/** The port a top-level check without one uses, and where it comes from, for the warning. */
export interface DefaultCheckPort {
  port: number;
  /** E.g. "the internal_port of [http_service]". */
  from: string;
}

/** Top-level [checks.NAME] tables. Without a port, a check uses the HTTP service's, as on fly. */
export function readTopLevelChecks(
  r: Reader,
  raw: Table,
  defaultPort: DefaultCheckPort | undefined,
): CheckConfig[] {
  const section = r.table(raw, 'checks', []);
  if (!section) return [];
  const checks: CheckConfig[] = [];
  for (const [name, value] of Object.entries(section)) {
    const path = ['checks', name];
    if (!isTable(value)) {
      r.error(path, `must be a table (got ${describe(value)})`, `Write each check as [checks.${name}].`);
      continue;
    }
    // fly's own default: a check with a path is an HTTP check.
    const defaultType = value.path !== undefined || value.method !== undefined ? 'http' : 'tcp';
    const check = readCheck(r, value, path, {
      name,
      defaultType,
      ...(defaultPort && { defaultPort: defaultPort.port }),
      noPortHint:
        'Add port = N, the internal port the check connects to; without one a check uses the internal_port of [http_service], and this file has no HTTP service.',
    });
    if (check && value.port === undefined && defaultPort) {
      r.warn(
        path,
        `the check has no port; berth checks port ${defaultPort.port}, ${defaultPort.from}`,
        `Write port = ${defaultPort.port} to say so, or the port the check should reach.`,
      );
    }
    if (check) checks.push(check);
  }
  return checks;
}

/** "http" or "tcp"; "script" (warned about, to be skipped); undefined when wrong. */
function readType(
  r: Reader,
  t: Table,
  path: Path,
  fallback: 'http' | 'tcp',
): 'http' | 'tcp' | 'script' | undefined {
  const type = r.string(t, 'type', path)?.toLowerCase() ?? fallback;
  if (type === 'http' || type === 'tcp') return type;
  if (type === 'script') {
    r.warn(
      [...path, 'type'],
      'script checks are not supported; berth ignores this check',
      'Use an "http" or "tcp" check, or remove it.',
    );
    return 'script';
  }
  r.error(
    [...path, 'type'],
    `must be "http" or "tcp" (got ${describe(t.type)})`,
    'Write type = "http" or "tcp".',
  );
  return undefined;
}

function readMethod(r: Reader, t: Table, path: Path): string {
  const method = r.string(t, 'method', path);
  if (method === undefined) return CHECK_DEFAULTS.method;
  if (/^[A-Za-z]+$/.test(method)) return method.toUpperCase();
  r.error(
    [...path, 'method'],
    `is not an HTTP method (got ${describe(method)})`,
    'Write e.g. method = "GET".',
  );
  return CHECK_DEFAULTS.method;
}

function readCheckPath(r: Reader, t: Table, path: Path): string {
  const value = r.string(t, 'path', path);
  if (value === undefined) return CHECK_DEFAULTS.path;
  if (value.startsWith('/')) return value;
  r.error([...path, 'path'], `must start with "/" (got ${describe(value)})`, 'Write e.g. path = "/health".');
  return CHECK_DEFAULTS.path;
}

function readProtocol(r: Reader, t: Table, path: Path): 'http' | 'https' {
  const protocol = r.string(t, 'protocol', path)?.toLowerCase() ?? 'http';
  if (protocol === 'http' || protocol === 'https') return protocol;
  r.error(
    [...path, 'protocol'],
    `must be "http" or "https" (got ${describe(t.protocol)})`,
    'Write protocol = "http".',
  );
  return 'http';
}

/** A table of name = value, or fly's older list of { name, value } entries. */
function readHeaders(r: Reader, t: Table, path: Path): Record<string, string> {
  const headers: Record<string, string> = {};
  const value = t.headers;
  const at = [...path, 'headers'];
  if (value === undefined) return headers;
  if (isTable(value)) {
    for (const name of Object.keys(value)) {
      const header = r.text(value, name, at);
      if (header !== undefined) headers[name] = header;
    }
  } else if (Array.isArray(value) && value.every((h) => isTable(h) && typeof h.name === 'string')) {
    for (const h of value as Table[]) headers[h.name as string] = String(h.value ?? '');
  } else {
    r.error(
      at,
      `must be a table of header names and values (got ${describe(value)})`,
      'Write headers = { Host = "example.com" }.',
    );
  }
  return headers;
}
