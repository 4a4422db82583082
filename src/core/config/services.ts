// [http_service] (the modern fly form) and [[services]] (the older, general one).

import type { AutoStop, CheckConfig, HttpServiceConfig, ServiceConfig, ServicePort } from './types.js';
import { readCheck, type DefaultCheckPort } from './checks.js';
import { readConcurrency } from './concurrency.js';
import { TIMEOUT_RANGE } from './duration.js';
import { describe, type Path, type Reader, type Table } from './reader.js';

export const HTTP_SERVICE_DEFAULTS = {
  internalPort: 8080,
  idleTimeoutMs: 5 * 60_000,
  autoStopMachines: 'off',
  autoStartMachines: true,
  minMachinesRunning: 0,
} as const;

export const SERVICE_DEFAULTS = { internalPort: 8080 } as const;

const SCALING_KEYS = ['auto_stop_machines', 'auto_start_machines', 'min_machines_running', 'processes'];
// fly keys that mean nothing to berth's proxy: accepted without a word.
const FLY_SERVICE_KEYS = ['max_machines_running', 'force_instance_key', 'tls_options', 'http_options'];
const FLY_PORT_KEYS = ['protocol', 'tls_options', 'http_options', 'proxy_proto_options', 'end_port'];

export function readHttpService(r: Reader, raw: Table): HttpServiceConfig | undefined {
  const base = ['http_service'];
  const t = r.table(raw, 'http_service', []);
  if (!t) return undefined;
  r.unknownKeys(t, base, [
    'internal_port',
    'force_https',
    'concurrency',
    'checks',
    'idle_timeout',
    ...SCALING_KEYS,
    ...FLY_SERVICE_KEYS,
  ]);
  const internalPort = r.port(t, 'internal_port', base) ?? HTTP_SERVICE_DEFAULTS.internalPort;
  const checks: CheckConfig[] = [];
  for (const entry of r.tables(t, 'checks', base)) {
    const name =
      entry.path.length > 2 ? `http_service.checks[${String(entry.path[2])}]` : 'http_service.checks';
    const check = readCheck(r, entry.table, entry.path, {
      name,
      defaultType: 'http',
      defaultPort: internalPort,
    });
    if (check) checks.push(check);
  }
  const concurrency = readConcurrency(r, t, base);
  return {
    internalPort,
    forceHttps: r.boolean(t, 'force_https', base) ?? false,
    ...readScaling(r, t, base),
    ...(concurrency && { concurrency }),
    idleTimeoutMs:
      r.duration(t, 'idle_timeout', base, 's', TIMEOUT_RANGE) ?? HTTP_SERVICE_DEFAULTS.idleTimeoutMs,
    checks,
  };
}

/**
 * Where a top-level check without a port connects: the HTTP service's internal_port, that of
 * [http_service], else of the first TCP [[services]] with an "http" handler (as routing.ts).
 */
export function httpCheckPort(
  http: HttpServiceConfig | undefined,
  services: readonly ServiceConfig[],
): DefaultCheckPort | undefined {
  if (http) return { port: http.internalPort, from: 'the internal_port of [http_service]' };
  const i = services.findIndex(
    (s) => s.protocol === 'tcp' && s.ports.some((p) => p.handlers.includes('http')),
  );
  const service = services[i];
  return (
    service && { port: service.internalPort, from: `the internal_port of services[${i}], the HTTP service` }
  );
}

export function readServices(r: Reader, raw: Table): ServiceConfig[] {
  return r.tables(raw, 'services', []).map(({ table, path }) => readService(r, table, path));
}

function readService(r: Reader, t: Table, base: Path): ServiceConfig {
  r.unknownKeys(t, base, [
    'protocol',
    'internal_port',
    'ports',
    'concurrency',
    'tcp_checks',
    'http_checks',
    'script_checks',
    ...SCALING_KEYS,
    ...FLY_SERVICE_KEYS,
  ]);
  const protocol = r.string(t, 'protocol', base)?.toLowerCase() ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') {
    r.error(
      [...base, 'protocol'],
      `must be "tcp" or "udp" (got ${describe(t.protocol)})`,
      'Write protocol = "tcp".',
    );
  }
  // fly's default when the file names none, as for [http_service].
  const internalPort = r.port(t, 'internal_port', base) ?? SERVICE_DEFAULTS.internalPort;
  const ports = r.tables(t, 'ports', base).map(({ table, path }) => readPort(r, table, path));
  const concurrency = readConcurrency(r, t, base);

  const checks: CheckConfig[] = [];
  const label = base.length > 1 ? `services[${String(base[1])}]` : 'services';
  for (const type of ['tcp', 'http'] as const) {
    for (const entry of r.tables(t, `${type}_checks`, base)) {
      const name = `${label}.${type}_checks[${String(entry.path[entry.path.length - 1])}]`;
      const check = readCheck(r, entry.table, entry.path, {
        name,
        type,
        defaultType: type,
        defaultPort: internalPort,
      });
      if (check) checks.push(check);
    }
  }
  if (Array.isArray(t.script_checks) && t.script_checks.length > 0) {
    r.warn(
      [...base, 'script_checks'],
      'script checks are not supported; berth ignores them',
      'Use tcp_checks or http_checks.',
    );
  }
  return {
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    internalPort,
    ports: ports.filter((p): p is ServicePort => p !== undefined),
    ...readScaling(r, t, base),
    ...(concurrency && { concurrency }),
    checks,
  };
}

function readPort(r: Reader, t: Table, base: Path): ServicePort | undefined {
  r.unknownKeys(t, base, ['port', 'start_port', 'handlers', 'force_https', ...FLY_PORT_KEYS]);
  let port = r.port(t, 'port', base);
  if (t.port === undefined && t.start_port !== undefined) {
    // A fly port range: berth publishes one port per entry, so it takes the first.
    port = r.port(t, 'start_port', base);
    r.warn(
      base,
      'port ranges are not supported; berth publishes only start_port',
      'Write one [[services.ports]] per port.',
    );
  } else if (t.port === undefined) {
    r.error(base, 'the port entry has no port', 'Add port = N, the public port.');
  }
  const handlers = r.strings(t, 'handlers', base) ?? [];
  const forceHttps = r.boolean(t, 'force_https', base) ?? false;
  return port === undefined
    ? undefined
    : { port, handlers: handlers.map((h) => h.toLowerCase()), forceHttps };
}

function readScaling(r: Reader, t: Table, base: Path) {
  return {
    autoStopMachines: readAutoStop(r, t, base),
    autoStartMachines: r.boolean(t, 'auto_start_machines', base) ?? HTTP_SERVICE_DEFAULTS.autoStartMachines,
    minMachinesRunning:
      r.integer(t, 'min_machines_running', base, 0) ?? HTTP_SERVICE_DEFAULTS.minMachinesRunning,
    processes: r.strings(t, 'processes', base) ?? [],
  };
}

/** fly accepts true/false and "stop"/"suspend"/"off"; true means "stop". */
function readAutoStop(r: Reader, t: Table, base: Path): AutoStop {
  const value = t.auto_stop_machines;
  if (value === undefined) return HTTP_SERVICE_DEFAULTS.autoStopMachines;
  if (value === true) return 'stop';
  if (value === false) return 'off';
  const text = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (text === 'suspend') {
    // A process cannot be snapshotted and resumed; stopping it is the closest berth can do.
    r.warn(
      [...base, 'auto_stop_machines'],
      '"suspend" is treated as "stop": idle machines are stopped, and a request starts them from scratch',
      'Write auto_stop_machines = "stop" to say what berth does.',
    );
    return text;
  }
  if (text === 'stop' || text === 'off') return text;
  r.error(
    [...base, 'auto_stop_machines'],
    `must be "stop", "suspend", "off", true or false (got ${describe(value)})`,
    'Write auto_stop_machines = "stop" to stop idle machines, or "off".',
  );
  return HTTP_SERVICE_DEFAULTS.autoStopMachines;
}
