// server.json: the addresses a running daemon got and its pid, so the CLI and tests find it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface ServerInfo {
  pid: number;
  apiUrl: string;
  proxyUrl: string;
  /** The proxy's TLS listener (`https://host:port`), when started with --proxy-tls. */
  proxyTlsUrl?: string;
  /** berth's local CA certificate: trust it to trust the certificates it issues. */
  caCertPath: string;
  domain: string;
  driver: string;
  startedAt: string;
  version: string;
}

export function writeServerInfo(file: string, info: ServerInfo): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function readServerInfo(file: string): ServerInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}
