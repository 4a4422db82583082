// `[http_service.concurrency]` and `[[services]].concurrency`: how many requests one machine
// serves at once. The proxy queues what is over `hard_limit`; `soft_limit` is where the app
// counts as busy. berth's proxy counts requests (and open WebSockets) in flight per machine for
// both `type`s: each one holds its own connection to the machine.
import type { AppConfig, ConcurrencyConfig } from './types.js';
import { describe, type Path, type Reader, type Table } from './reader.js';
import { servesGroup } from './routing.js';

export function readConcurrency(r: Reader, t: Table, base: Path): ConcurrencyConfig | undefined {
  const c = r.table(t, 'concurrency', base);
  if (!c) return undefined;
  const path = [...base, 'concurrency'];
  r.unknownKeys(c, path, ['type', 'soft_limit', 'hard_limit']);
  const type = r.string(c, 'type', path)?.toLowerCase() ?? 'connections';
  if (type !== 'connections' && type !== 'requests') {
    r.error(
      [...path, 'type'],
      `must be "connections" or "requests" (got ${describe(c.type)})`,
      'Write type = "requests".',
    );
  }
  const softLimit = r.integer(c, 'soft_limit', path, 1);
  const hardLimit = r.integer(c, 'hard_limit', path, 1);
  if (softLimit !== undefined && hardLimit !== undefined && softLimit > hardLimit) {
    r.warn(
      [...path, 'soft_limit'],
      `soft_limit (${softLimit}) is above hard_limit (${hardLimit}); berth uses hard_limit for both`,
      'Make soft_limit at most hard_limit.',
    );
  }
  return {
    type: type === 'requests' ? 'requests' : 'connections',
    ...(softLimit !== undefined && { softLimit: Math.min(softLimit, hardLimit ?? softLimit) }),
    ...(hardLimit !== undefined && { hardLimit }),
  };
}

/**
 * The concurrency limits of the service that routes HTTP to `group` (the same service
 * httpPortForGroup picks), if it sets any.
 */
export function concurrencyForGroup(config: AppConfig, group: string): ConcurrencyConfig | undefined {
  const http = config.httpService;
  if (http && servesGroup(http.processes, group)) return http.concurrency;
  const service = config.services.find(
    (s) =>
      s.protocol === 'tcp' &&
      s.ports.some((p) => p.handlers.includes('http')) &&
      servesGroup(s.processes, group),
  );
  return service?.concurrency;
}
