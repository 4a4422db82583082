// Who holds a home: the pid the locking daemon wrote to daemon.pid (see home-lock.ts). Kept
// apart from the lock itself so the CLI can ask without loading SQLite.
import { readFileSync } from 'node:fs';
import type { HomeLayout } from './home.js';

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the daemon holding the home's lock, if that process is still alive. */
export function lockHolderPid(layout: HomeLayout): number | undefined {
  const pid = readPid(layout.daemonPid);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
