// What a test daemon's docker driver made on the Engine, found by the label berth.home that
// every container, built image and volume of one daemon home carries: to look inside a
// machine's container or volume, and to remove them all when the test daemon goes.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { dockerHostForTests, Engine } from './docker-engine.js';

/** berth.home of a daemon home, as the docker driver writes it (a digest of the path). */
export function homeLabel(home: string): string {
  return `berth.home=${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16)}`;
}

function filters(label: string[]): string {
  return encodeURIComponent(JSON.stringify({ label }));
}

interface ContainerSummary {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

/** The container of one machine of a daemon home (the running one when there are several). */
export async function containerOfMachine(
  engine: Engine,
  home: string,
  machineId: string,
): Promise<ContainerSummary | undefined> {
  const found = await engine.json<ContainerSummary[]>(
    'GET',
    `/containers/json?all=1&filters=${filters([homeLabel(home), `berth.machine=${machineId}`])}`,
  );
  return found.find((c) => c.State === 'running') ?? found[0];
}

/** The Engine's volume of a berth volume (label berth.volume=<id>): its name and where its data is. */
export async function engineVolumeOf(
  engine: Engine,
  volumeId: string,
): Promise<{ Name: string; Mountpoint: string } | undefined> {
  const { Volumes } = await engine.json<{ Volumes: { Name: string; Mountpoint: string }[] | null }>(
    'GET',
    `/volumes?filters=${filters([`berth.volume=${volumeId}`])}`,
  );
  if ((Volumes ?? []).length > 1) throw new Error(`several Engine volumes are berth volume ${volumeId}`);
  return Volumes?.[0];
}

/** The volumes of a daemon home, by name. */
export async function volumesOfHome(engine: Engine, home: string): Promise<string[]> {
  const { Volumes } = await engine.json<{ Volumes: { Name: string }[] | null }>(
    'GET',
    `/volumes?filters=${filters([homeLabel(home)])}`,
  );
  return (Volumes ?? []).map((v) => v.Name);
}

/**
 * Removes the containers, volumes and built images of a daemon home. No Engine, or one that
 * does not answer: nothing to remove (the daemon could not have used it).
 */
export async function removeDockerThingsOfHome(home: string): Promise<void> {
  let engine: Engine;
  try {
    const host = dockerHostForTests();
    if (host === undefined) return;
    engine = new Engine(host);
    if ((await engine.call('GET', '/_ping', { timeoutMs: 5_000 })).status !== 200) return;
  } catch {
    return;
  }
  const label = filters([homeLabel(home)]);
  for (const c of await engine.json<ContainerSummary[]>('GET', `/containers/json?all=1&filters=${label}`))
    await engine.call('DELETE', `/containers/${c.Id}?force=1&v=1`);
  for (const name of await volumesOfHome(engine, home))
    await engine.call('DELETE', `/volumes/${encodeURIComponent(name)}`);
  for (const image of await engine.json<{ Id: string }[]>('GET', `/images/json?filters=${label}`))
    await engine.call('DELETE', `/images/${image.Id}?force=1`);
}
