// Which process group serves what. A service's `processes` names the groups it runs in; an
// empty list means every group, as on fly (with no [processes] there is only one group).

import type { AppConfig } from './types.js';

/** Whether a service whose `processes` is the given list runs in `group`. */
export function servesGroup(processes: readonly string[], group: string): boolean {
  return processes.length === 0 || processes.includes(group);
}

/**
 * The internal port on which `group` serves HTTP: [http_service] when it covers the group,
 * else the first TCP [[services]] covering it with an "http" handler on one of its ports.
 */
export function httpPortForGroup(config: AppConfig, group: string): number | undefined {
  const http = config.httpService;
  if (http && servesGroup(http.processes, group)) return http.internalPort;
  const service = config.services.find(
    (s) =>
      s.protocol === 'tcp' &&
      s.ports.some((p) => p.handlers.includes('http')) &&
      servesGroup(s.processes, group),
  );
  return service?.internalPort;
}

/** The groups to run: the file's [processes], or else `fallback` (from a Procfile, npm start…). */
export function processGroups(config: AppConfig, fallback: Record<string, string>): Record<string, string> {
  return Object.keys(config.processes).length > 0 ? { ...config.processes } : { ...fallback };
}
