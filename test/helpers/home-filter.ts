// Finds what a test daemon made on the Docker Engine: containers, volumes and images are all
// labelled with a digest of its home (removed with the home by docker-home.ts).
import { homeId } from '../../src/drivers/docker/names.js';

/** The Engine's own list filter for things labelled with this daemon home. */
export function homeFilter(home: string, ...labels: string[]): string {
  return encodeURIComponent(JSON.stringify({ label: [`berth.home=${homeId(home)}`, ...labels] }));
}
