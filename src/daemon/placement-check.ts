// Before a deploy changes anything on a driver that places machines over nodes (swarm): the
// machines' constraints must match a live node, or the deploy is refused naming the
// constraints and every node's labels. Says when primary_region is left out.
import type { AppConfig } from '../core/config/types.js';
import { BerthError } from '../core/errors.js';
import { describeNodeLabels, liveNodes, resolvePlacement, satisfies } from '../core/placement.js';
import type { Driver } from '../drivers/driver.js';

/** Notes for the deploy's output; throws placement_unsatisfiable when no live node fits. */
export async function checkPlacement(config: AppConfig, driver: Driver): Promise<string[]> {
  const placement = config.deploy.placement ?? [];
  if (!driver.nodes || (placement.length === 0 && !config.primaryRegion)) return [];
  const nodes = await driver.nodes();
  const resolved = resolvePlacement(
    {
      ...(config.deploy.placement && { placement: config.deploy.placement }),
      ...(config.primaryRegion && { primaryRegion: config.primaryRegion }),
    },
    nodes,
  );
  const notes = resolved.note ? [resolved.note] : [];
  if (resolved.constraints.length === 0) return notes;
  const fits = liveNodes(nodes).filter((n) => satisfies(n, resolved.constraints));
  if (fits.length > 0) {
    return [
      ...notes,
      `placement ${resolved.constraints.join(', ')}: ${fits.length} live node${fits.length === 1 ? '' : 's'} (${fits.map((n) => n.address ?? n.name).join(', ')})`,
    ];
  }
  throw new BerthError(
    'placement_unsatisfiable',
    `no live node matches the placement ${resolved.constraints.map((c) => JSON.stringify(c)).join(' and ')}; the nodes: ${describeNodeLabels(nodes)}`,
  );
}
