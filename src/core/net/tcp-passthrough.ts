// Which TCP passthrough listeners the apps' configs ask for, and how to get from the ones
// open now to those. Pure: the daemon opens and closes the sockets.
//
// Port mapping (the process driver gives each machine exactly one host port, passed as PORT):
// a machine's PORT stands for its group's HTTP internal_port when the group serves HTTP, else
// for the internal_port of the first TCP [[services]] entry covering the group. A passthrough
// service therefore reaches the machines of the groups it covers whose PORT stands for its
// internal_port; a service whose internal_port is not that port in any group it covers has no
// machine to reach, and is reported rather than silently dropped.
import { httpPortForGroup, servesGroup } from '../config/routing.js';
import type { AppConfig } from '../config/types.js';

/** One public port that pipes bytes to an app's machines. */
export interface TcpPassthrough {
  app: string;
  /** The public port (`[[services.ports]] port`), opened on the proxy's host. */
  port: number;
  /** The service's internal_port: machines whose PORT stands for it are the backends. */
  internalPort: number;
  /** Process groups the service covers; empty means every group. */
  processes: string[];
}

/** The internal port a machine of `group` has its one PORT for, if any. */
export function machinePortForGroup(config: AppConfig, group: string): number | undefined {
  const http = httpPortForGroup(config, group);
  if (http !== undefined) return http;
  return config.services.find((s) => s.protocol === 'tcp' && servesGroup(s.processes, group))?.internalPort;
}

/** A port handled at the edge as HTTP or TLS goes through the HTTP proxy, not passthrough. */
function isPassthroughPort(handlers: readonly string[]): boolean {
  return !handlers.includes('http') && !handlers.includes('tls');
}

/** A config problem with passthrough, located like the config reader's diagnostics. */
export interface PassthroughProblem {
  path: (string | number)[];
  message: string;
  hint: string;
}

/**
 * What in the config's [[services]] cannot be passed through: UDP, and TCP services whose
 * internal_port no machine's PORT stands for in the app's process `groups` (the groups it
 * really runs: a Procfile's are not in the config, so this is the daemon's to say).
 */
export function passthroughProblems(config: AppConfig, groups: readonly string[]): PassthroughProblem[] {
  const problems: PassthroughProblem[] = [];
  config.services.forEach((service, i) => {
    if (!service.ports.some((p) => isPassthroughPort(p.handlers))) return;
    if (service.protocol !== 'tcp') {
      problems.push({
        path: ['services', i, 'protocol'],
        message: `berth passes through TCP only; the ports of this ${service.protocol} service are not opened`,
        hint: 'Use protocol = "tcp", or remove the service.',
      });
      return;
    }
    const covered = groups.filter((g) => servesGroup(service.processes, g));
    if (!covered.some((g) => machinePortForGroup(config, g) === service.internalPort)) {
      problems.push({
        path: ['services', i, 'internal_port'],
        message:
          `internal_port ${service.internalPort} reaches no machine: each machine has one $PORT, and in ` +
          `${covered.length > 0 ? `group(s) ${covered.join(', ')}` : 'no group'} it stands for another port`,
        hint: 'Run this service in a process group of its own (processes = ["NAME"]), whose $PORT is then its port.',
      });
    }
  });
  return problems;
}

/** The passthrough listeners one app's config asks for, and problems worth telling the user. */
export function passthroughFor(
  app: string,
  config: AppConfig,
  groups: readonly string[],
): { listeners: TcpPassthrough[]; problems: string[] } {
  const listeners: TcpPassthrough[] = [];
  for (const service of config.services) {
    if (service.protocol !== 'tcp') continue;
    for (const p of service.ports) {
      if (!isPassthroughPort(p.handlers)) continue;
      listeners.push({
        app,
        port: p.port,
        internalPort: service.internalPort,
        processes: [...service.processes],
      });
    }
  }
  const problems = passthroughProblems(config, groups).map((p) => `services[${p.path[1]}]: ${p.message}`);
  return { listeners, problems };
}

/**
 * Every app's listeners merged: one listener per port. Apps are taken in the order given; a
 * later claim on a port already taken is refused with a problem naming both apps.
 */
export function mergePassthrough(perApp: readonly TcpPassthrough[][]): {
  listeners: TcpPassthrough[];
  conflicts: { app: string; message: string }[];
} {
  const byPort = new Map<number, TcpPassthrough>();
  const conflicts: { app: string; message: string }[] = [];
  for (const listeners of perApp) {
    for (const l of listeners) {
      const taken = byPort.get(l.port);
      if (!taken) {
        byPort.set(l.port, l);
      } else if (taken.app !== l.app) {
        conflicts.push({
          app: l.app,
          message: `TCP port ${l.port} of app "${l.app}" is not opened: app "${taken.app}" already passes it through`,
        });
      } else if (taken.internalPort !== l.internalPort) {
        conflicts.push({
          app: l.app,
          message: `TCP port ${l.port} is listed by two services of app "${l.app}"; the first (internal_port ${taken.internalPort}) is used`,
        });
      }
    }
  }
  return { listeners: [...byPort.values()], conflicts };
}

export interface ListenerDiff<T> {
  open: T[];
  /** Same key, different target: retarget in place, the socket stays. */
  retarget: T[];
  close: string[];
}

/** What to open, retarget and close to go from `current` (by key) to `desired`. */
export function diffListeners<T>(
  current: ReadonlyMap<string, T>,
  desired: readonly T[],
  keyOf: (t: T) => string,
  same: (a: T, b: T) => boolean,
): ListenerDiff<T> {
  const open: T[] = [];
  const retarget: T[] = [];
  const wanted = new Set<string>();
  for (const d of desired) {
    const key = keyOf(d);
    wanted.add(key);
    const now = current.get(key);
    if (now === undefined) open.push(d);
    else if (!same(now, d)) retarget.push(d);
  }
  const close = [...current.keys()].filter((k) => !wanted.has(k));
  return { open, retarget, close };
}
