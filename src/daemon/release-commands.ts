// The process groups of a release and what each runs: the config's [processes], else what its
// driver finds in the prepared release (process: a Procfile or npm start; docker: the image's
// own CMD). Deploys, scaling and `machine run` must agree on them.
import { BerthError } from '../core/errors.js';
import type { Release } from '../core/model.js';
import type { DaemonDrivers } from './drivers.js';

/** Group name -> command for a release whose driver has prepared it. */
export async function releaseCommands(
  drivers: DaemonDrivers,
  release: Release,
): Promise<Record<string, string>> {
  const driver = drivers.forRelease(release);
  if (Object.keys(release.config.processes).length > 0) {
    const commands = { ...release.config.processes };
    // Refused here, before a deploy changes anything, as well as by the driver's start.
    const refused = driver.refuseCommands?.(commands);
    if (refused) throw refused;
    return commands;
  }
  if (!release.prepared) {
    throw new BerthError(
      'release_not_found',
      `release v${release.version} of app "${release.app}" was never built`,
      {
        hint: '`berth releases` lists the releases that completed; deploy again to make a new one.',
      },
    );
  }
  return driver.defaultCommands(release.config, release.prepared);
}
