// The daemon's home directory: where every file it keeps lives.
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
  daemonLog: string;
  /** Held by the running daemon (see home-lock.ts); daemon.pid names it. */
  daemonLock: string;
  daemonPid: string;
  artifacts: string;
  releases: string;
  machines: string;
  /** One directory per volume: <home>/volumes/<id>/. */
  volumes: string;
}

export function homeLayout(root: string): HomeLayout {
  const dir = resolve(root);
  return {
    root: dir,
    database: join(dir, 'berth.db'),
    serverInfo: join(dir, 'server.json'),
    credentials: join(dir, 'credentials'),
    daemonLog: join(dir, 'daemon.log'),
    daemonLock: join(dir, 'daemon.lock'),
    daemonPid: join(dir, 'daemon.pid'),
    artifacts: join(dir, 'artifacts'),
    releases: join(dir, 'releases'),
    machines: join(dir, 'machines'),
    volumes: join(dir, 'volumes'),
  };
}

/** Where a release's unpacked, built tree lives. */
export function releaseDir(layout: HomeLayout, app: string, version: number): string {
  return join(layout.releases, app, `v${version}`);
}
