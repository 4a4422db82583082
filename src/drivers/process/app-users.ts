// Each app's machines run as an unprivileged user of their own when the daemon is root, as
// systemd's DynamicUser does: a uid from 61184-65519 that no account on the host has, given
// to the app on its first machine and kept (the registry is durable), so that its files and
// volumes stay its own across restarts, and no two apps can read each other's.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const FIRST_APP_UID = 61184;
export const LAST_APP_UID = 65519;

/** Where the uids given to apps are kept; the daemon's is a table in berth.db. */
export interface AppUserRegistry {
  uidOf(app: string): number | undefined;
  /** Every uid already given to some app. */
  taken(): Set<number>;
  /** Records the uid for the app; false when another app took it in between. */
  claim(app: string, uid: number): boolean;
}

/** A registry that lives as long as the driver (tests and one-off drivers). */
export class MemoryAppUsers implements AppUserRegistry {
  private readonly uids = new Map<string, number>();
  uidOf(app: string): number | undefined {
    return this.uids.get(app);
  }
  taken(): Set<number> {
    return new Set(this.uids.values());
  }
  claim(app: string, uid: number): boolean {
    if (this.taken().has(uid)) return false;
    this.uids.set(app, uid);
    return true;
  }
}

/** The app's uid, allocating the lowest free one on first need. */
export function uidForApp(
  registry: AppUserRegistry,
  app: string,
  existsOnHost: (uid: number) => boolean = hostHasId,
): number {
  const known = registry.uidOf(app);
  if (known !== undefined) return known;
  const taken = registry.taken();
  for (let uid = FIRST_APP_UID; uid <= LAST_APP_UID; uid++) {
    if (taken.has(uid) || existsOnHost(uid)) continue;
    if (registry.claim(app, uid)) return uid;
  }
  throw new Error(`no free uid left in ${FIRST_APP_UID}-${LAST_APP_UID} for the machines of app "${app}"`);
}

/** Whether an account or a group of that number exists (getent asks NSS: files, LDAP, ...). */
function hostHasId(id: number): boolean {
  for (const database of ['passwd', 'group']) {
    const result = spawnSync('getent', [database, String(id)], { stdio: 'ignore', timeout: 5_000 });
    if (result.status === 2) continue; // not found
    if (result.error && 'code' in result.error && result.error.code === 'ENOENT') {
      // No getent (a minimal image): the files are all there is.
      if (listedIn(`/etc/${database}`, id)) return true;
      continue;
    }
    return true; // found, or an answer we cannot read: never share an id
  }
  return false;
}

function listedIn(file: string, id: number): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return text.split('\n').some((line) => line.split(':')[2] === String(id));
}
