// What berth calls its things on a Docker Engine: labels, container, image and volume names.
// Every container and built image carries berth.home, a digest of the daemon's home, so two
// daemons sharing one Engine never adopt, stop or prune each other's.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

export const LABEL = {
  managed: 'berth.managed',
  home: 'berth.home',
  app: 'berth.app',
  release: 'berth.release',
  machine: 'berth.machine',
  group: 'berth.group',
  volume: 'berth.volume',
} as const;

/** How many releases' images of an app are kept, so a rollback to one of them never rebuilds. */
export const KEPT_RELEASE_IMAGES = 10;

/** A short, stable id of a daemon home: the same directory always gives the same id. */
export function homeId(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16);
}

export function imageRepository(app: string): string {
  return `berth/${app}`;
}

export function imageTag(app: string, releaseVersion: number): string {
  return `${imageRepository(app)}:v${releaseVersion}`;
}

/** The release a tag of berth/<app> names, or undefined for a tag berth did not write. */
export function releaseOfTag(app: string, tag: string): number | undefined {
  const prefix = `${imageRepository(app)}:v`;
  if (!tag.startsWith(prefix)) return undefined;
  const digits = tag.slice(prefix.length);
  return /^[1-9]\d{0,9}$/.test(digits) ? Number(digits) : undefined;
}

/** Unique per daemon home: machine ids are random, the home id keeps test homes apart too. */
export function containerName(app: string, machineId: string, home: string): string {
  return `berth-${app}-${machineId}-${home.slice(0, 8)}`;
}

/** Volume ids are already unique ("vol_<hex>"); the prefix says whose volume it is. */
export function volumeName(volumeId: string): string {
  return `berth-${volumeId}`;
}
