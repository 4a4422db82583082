// What a test daemon made on the Docker Engine (containers, volumes, images, all labelled with a
// digest of its home) outlives it by design; a test removes it with the home. Nothing is done
// when the tests have no Engine.
import { homeId } from '../../src/drivers/docker/names.js';
import { dockerHostForTests, Engine } from './docker-engine.js';

/** The Engine's own list filter for things labelled with this daemon home. */
export function homeFilter(home: string, ...labels: string[]): string {
  return encodeURIComponent(JSON.stringify({ label: [`berth.home=${homeId(home)}`, ...labels] }));
}

export async function removeDockerThingsOf(home: string): Promise<void> {
  let host: string | undefined;
  try {
    host = dockerHostForTests();
  } catch {
    return; // CI without an Engine: the tests that need it fail on their own
  }
  if (host === undefined) return;
  const engine = new Engine(host);
  const filter = homeFilter(home);
  let containers: { Id: string }[];
  try {
    containers = await engine.json<{ Id: string }[]>('GET', `/containers/json?all=1&filters=${filter}`);
  } catch (err) {
    // A named Engine that is not there holds nothing of this home; the tests that use it fail.
    if (['ENOENT', 'ECONNREFUSED'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
    throw err;
  }
  for (const c of containers) await engine.call('DELETE', `/containers/${c.Id}?force=1&v=1`);
  const volumes = await engine.json<{ Volumes: { Name: string }[] | null }>(
    'GET',
    `/volumes?filters=${filter}`,
  );
  for (const v of volumes.Volumes ?? []) await engine.call('DELETE', `/volumes/${v.Name}`);
  const images = await engine.json<{ Id: string }[]>('GET', `/images/json?filters=${filter}`);
  for (const image of images) await engine.call('DELETE', `/images/${image.Id}?force=1`);
}
