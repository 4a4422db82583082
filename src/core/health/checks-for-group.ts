// Which health checks a machine of one process group must pass. Files write checks in three
// places: [http_service.checks], [[services.*_checks]], and top-level [checks.NAME].
//
// The first two belong to their service, so they apply wherever the service runs. A top-level
// check names only a port, so it applies to the groups that own that port:
//   1. the groups served by any service (http_service or [[services]]) whose internal_port is
//      the check's port;
//   2. if no service has that port (a metrics or admin port, say), the groups that serve
//      HTTP, as the check most likely watches the web process;
//   3. if the app serves HTTP nowhere (a database with only [checks]), every group, as on fly.
// So a worker group next to a web group is never checked against the web's port.

import { httpPortForGroup, servesGroup } from '../config/routing.js';
import type { AppConfig, CheckConfig } from '../config/types.js';

/** The checks a machine of `group` must pass, http_service first, then services, then [checks]. */
export function checksForGroup(config: AppConfig, group: string): CheckConfig[] {
  const checks: CheckConfig[] = [];
  const http = config.httpService;
  if (http && servesGroup(http.processes, group)) checks.push(...http.checks);
  for (const service of config.services) {
    if (servesGroup(service.processes, group)) checks.push(...service.checks);
  }
  for (const check of config.checks) {
    if (topLevelCheckApplies(config, check, group)) checks.push(check);
  }
  return checks;
}

/** Whether the app declares any health check at all (bluegreen needs one to switch safely). */
export function hasHealthCheck(config: AppConfig): boolean {
  return (
    (config.httpService?.checks.length ?? 0) > 0 ||
    config.services.some((s) => s.checks.length > 0) ||
    config.checks.length > 0
  );
}

function topLevelCheckApplies(config: AppConfig, check: CheckConfig, group: string): boolean {
  const owners = servicesOnPort(config, check.port);
  if (owners.length > 0) return owners.some((processes) => servesGroup(processes, group));
  if (appServesHttp(config)) return httpPortForGroup(config, group) !== undefined;
  return true;
}

/** The `processes` lists of every service listening on `port`. */
function servicesOnPort(config: AppConfig, port: number): string[][] {
  const owners: string[][] = [];
  if (config.httpService?.internalPort === port) owners.push(config.httpService.processes);
  for (const service of config.services) {
    if (service.internalPort === port) owners.push(service.processes);
  }
  return owners;
}

/** Mirrors httpPortForGroup: an http_service, or a TCP service with an "http" handler. */
function appServesHttp(config: AppConfig): boolean {
  return (
    config.httpService !== undefined ||
    config.services.some((s) => s.protocol === 'tcp' && s.ports.some((p) => p.handlers.includes('http')))
  );
}
