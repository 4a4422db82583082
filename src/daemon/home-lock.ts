// One daemon per home: two supervisors over the same machines and database would fight over
// every machine. The daemon holds an exclusive lock on <home>/daemon.lock for its whole life.
//
// Node has no flock(). The lock is SQLite's own: a connection in locking_mode=EXCLUSIVE that
// has run a write transaction keeps a POSIX fcntl write lock on the file until it closes.
// fcntl locks belong to the process, so the kernel drops them when the daemon dies, even by
// SIGKILL, and machines it spawned never inherit them. A held `flock` child process would
// need a second process to watch and could outlive a killed daemon; better-sqlite3 is
// already a dependency, so this needs nothing new.
//
// A held lock cannot be read, so the holder writes its pid beside it (daemon.pid), and a
// refused daemon names that pid and the addresses from server.json.
import { rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BerthError } from '../core/errors.js';
import type { HomeLayout } from './home.js';
import { readPid } from './home-holder.js';
import { readServerInfo } from './server-info.js';

export class HomeLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly pidFile: string,
  ) {}

  /** Takes the home's lock at once, or refuses naming the daemon that holds it. */
  static acquire(layout: HomeLayout): HomeLock {
    const db = new Database(layout.daemonLock, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; COMMIT;');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw homeInUse(layout);
      throw err;
    }
    writeFileSync(layout.daemonPid, `${process.pid}\n`);
    return new HomeLock(db, layout.daemonPid);
  }

  /** Gives the home up (the kernel does the same if the daemon dies). */
  release(): void {
    if (!this.db.open) return;
    if (readPid(this.pidFile) === process.pid) rmSync(this.pidFile, { force: true });
    this.db.close();
  }
}

function homeInUse(layout: HomeLayout): BerthError {
  const pid = readPid(layout.daemonPid);
  const info = readServerInfo(layout.serverInfo);
  const holder = pid === undefined ? 'another berth daemon' : `another berth daemon (pid ${pid})`;
  const serving =
    info && info.pid === pid
      ? `already serves ${layout.root}: API ${info.apiUrl}, apps ${info.proxyUrl}`
      : `is starting in ${layout.root}`;
  const stop = pid === undefined ? 'stop it' : `stop it with \`kill ${pid}\``;
  return new BerthError('home_in_use', `${holder} ${serving}`, {
    hint: `Use that daemon (the CLI finds it through ${layout.serverInfo}), ${stop}, or start this one with another --home.`,
    details: {
      pid: pid ?? null,
      ...(info && info.pid === pid && { apiUrl: info.apiUrl, proxyUrl: info.proxyUrl }),
    },
  });
}
