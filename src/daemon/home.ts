// The daemon's home directory: where every file it keeps lives. Only the daemon's user may
// enter it (0700): it holds the admin token, the master key, CA and certificate keys, the
// database and every machine's tree, log and volume. Files with state are 0600 besides.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.BERTH_HOME || join(homedir(), '.berth'));
}

export interface HomeLayout {
  root: string;
  database: string;
  serverInfo: string;
  credentials: string;
  /** The read-only metrics token (GET /metrics only), for a Prometheus server. */
  metricsToken: string;
  daemonLog: string;
  /** Held by the running daemon (see home-lock.ts); daemon.pid names it. */
  daemonLock: string;
  daemonPid: string;
  /** Ports chosen by port 0, asked for again by the next daemon (listen-ports.ts). */
  listenPorts: string;
  /** `berth server`'s settings file: listen addresses, domain, driver (server-config.ts). */
  serverConfig: string;
  artifacts: string;
  releases: string;
  machines: string;
  /** One directory per volume: <home>/volumes/<id>/. */
  volumes: string;
  /** Machine output as the daemon keeps it: <home>/logs/<app>/<machine>.log (see daemon/logs/). */
  logs: string;
}

export function homeLayout(root: string): HomeLayout {
  const dir = resolve(root);
  return {
    root: dir,
    database: join(dir, 'berth.db'),
    serverInfo: join(dir, 'server.json'),
    credentials: join(dir, 'credentials'),
    metricsToken: join(dir, 'metrics-token'),
    daemonLog: join(dir, 'daemon.log'),
    daemonLock: join(dir, 'daemon.lock'),
    daemonPid: join(dir, 'daemon.pid'),
    listenPorts: join(dir, 'listen-ports.json'),
    serverConfig: join(dir, 'server.toml'),
    artifacts: join(dir, 'artifacts'),
    releases: join(dir, 'releases'),
    machines: join(dir, 'machines'),
    volumes: join(dir, 'volumes'),
    logs: join(dir, 'logs'),
  };
}

/**
 * Creates the home and its directories as 0700, and tightens a home others could enter.
 * Returns the old mode (e.g. "0755") when it had to be tightened.
 */
export function securePrivateHome(layout: HomeLayout): string | undefined {
  mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  const mode = statSync(layout.root).mode & 0o777;
  if ((mode & 0o077) !== 0) chmodSync(layout.root, 0o700);
  for (const dir of [layout.artifacts, layout.releases, layout.machines, layout.volumes, layout.logs]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  return (mode & 0o077) !== 0 ? mode.toString(8).padStart(4, '0') : undefined;
}

/**
 * berth.db and its -wal/-shm files (SQLite gives those the database's mode), the daemon log
 * and the admin token: 0600, whatever umask created them.
 */
export function securePrivateFiles(layout: HomeLayout): void {
  for (const file of [
    layout.database,
    `${layout.database}-wal`,
    `${layout.database}-shm`,
    layout.daemonLog,
    layout.credentials,
    layout.metricsToken,
    layout.serverInfo,
  ]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/** Creates the database file 0600 before SQLite does, so it (and its WAL) never starts wider. */
export function createPrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}
