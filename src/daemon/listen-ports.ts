// Ports a daemon was given by port 0, kept in <home>/listen-ports.json so that the next daemon
// of the home (`berth server restart`, a reboot) asks for the same ones again: the URLs it
// printed, and apps' links to them, stay true. A remembered port that is taken meanwhile is
// given up for a fresh one, and said so.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { ListenAddress } from './listen-address.js';

export type ListenerName = 'api' | 'proxy' | 'proxyTls';
export type RememberedPorts = Partial<Record<ListenerName, ListenAddress>>;

export function readListenPorts(file: string): RememberedPorts {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as RememberedPorts;
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

export function writeListenPorts(file: string, ports: RememberedPorts): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ports, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** The address to listen on: as requested, or for port 0 the port remembered for this host. */
export async function preferRemembered(
  name: ListenerName,
  requested: ListenAddress,
  remembered: RememberedPorts,
  log: (line: string) => void,
): Promise<ListenAddress> {
  const previous = remembered[name];
  if (requested.port !== 0 || previous?.host !== requested.host || !validPort(previous.port))
    return requested;
  if (await portFree(requested.host, previous.port)) return { host: requested.host, port: previous.port };
  log(
    `${name}: port ${previous.port}, chosen last time, is taken now; picking another (printed URLs change)`,
  );
  return requested;
}

function validPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
