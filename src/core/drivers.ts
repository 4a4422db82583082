// berth's drivers by name, and a release in the form its driver runs it, as records hold them.
// The driver contract (src/drivers/driver.ts) re-exports these; the core only needs the names.

export type DriverName = 'process' | 'docker' | 'swarm';

export const DRIVER_NAMES: readonly DriverName[] = ['process', 'docker', 'swarm'];

export function isDriverName(value: unknown): value is DriverName {
  return value === 'process' || value === 'docker' || value === 'swarm';
}

/** A release in the form its driver runs it. Stored as JSON on the release row (releases.prepared_json). */
export type PreparedRelease =
  | { driver: 'process'; dir: string }
  | { driver: 'docker'; image: string /* berth/<app>:v<N> */; imageId: string }
  /** image: <registry>/berth/<app>:v<N>@sha256:<digest>, what every node pulls. */
  | { driver: 'swarm'; image: string; imageId: string };

/** The stored JSON of a prepared release, or undefined when it is not one. */
export function readPreparedRelease(value: unknown): PreparedRelease | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.driver === 'process' && typeof v.dir === 'string' && v.dir !== '')
    return { driver: 'process', dir: v.dir };
  if (v.driver === 'docker' && typeof v.image === 'string' && typeof v.imageId === 'string') {
    return { driver: 'docker', image: v.image, imageId: v.imageId };
  }
  if (v.driver === 'swarm' && typeof v.image === 'string' && typeof v.imageId === 'string') {
    return { driver: 'swarm', image: v.image, imageId: v.imageId };
  }
  return undefined;
}

/** The port of the registry berth runs for the swarm's nodes, unless `--registry-port` names another. */
export const DEFAULT_REGISTRY_PORT = 5000;
