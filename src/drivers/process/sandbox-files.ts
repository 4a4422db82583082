// What the process driver's sandbox needs around it on the host: which directory to hide, the
// machine's files handed to its user, and the machine's exit as its init reports it.
import { statSync } from 'node:fs';
import { lchown, readdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
}

/**
 * The sandbox's init cannot die of a signal (it is pid 1 of its namespace): it exits with
 * 128+N when signal N killed the machine's command, which is reported as that signal, as it
 * would be without the sandbox.
 */
export function exitOfInit(exitCode: number | null, signal: NodeJS.Signals | null): ExitInfo {
  if (signal !== null || exitCode === null || exitCode <= 128) return { exitCode, signal };
  const name = Object.entries(osConstants.signals).find(([, n]) => n === exitCode - 128)?.[0];
  return name ? { exitCode: null, signal: name } : { exitCode, signal };
}

/**
 * What the sandbox hides: the daemon's home, or, for a machine with a user of its own, the
 * highest directory above it that others cannot enter, since the machine could not pass it to
 * reach its tree and sees nothing in it anyway. Never "/".
 */
export function coverFor(home: string, uid: number | undefined): string {
  let cover = home;
  if (uid === undefined) return cover;
  for (let dir = dirname(home); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) cover = dir;
    } catch {
      return cover;
    }
  }
  return cover;
}

export async function chownTree(path: string, uid: number): Promise<void> {
  await lchown(path, uid, uid);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid);
    else await lchown(child, uid, uid);
  }
}
