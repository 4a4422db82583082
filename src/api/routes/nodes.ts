// The hosts machines are placed on: a swarm's nodes, each with its address, state,
// availability, labels and the machines that run there. Only the swarm driver has nodes.
import { seesApp } from '../../core/access.js';
import { BerthError } from '../../core/errors.js';
import { route, type Route } from '../router.js';
import { NodesResponse } from '../schemas.js';
import type { ApiServices } from '../services.js';

export function nodeRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/nodes',
      summary: "The swarm's nodes: address, state, availability, labels and the machines on each",
      // Each node lists only the machines of the token's apps.
      access: 'read',
      tag: 'machines',
      response: NodesResponse,
      handler: async ({ principal }) => {
        const driver = s.drivers.get('swarm');
        if (!driver?.nodes) {
          const missing = s.drivers.unavailable('swarm');
          throw new BerthError(
            'driver_unavailable',
            `this daemon has no nodes: it places machines on this host only${missing ? ` (no swarm: ${missing.cause})` : ''}`,
            { hint: missing?.fix || 'Start `berth server --driver swarm` on a swarm manager.' },
          );
        }
        const nodes = await driver.nodes();
        return {
          driver: driver.name,
          nodes: nodes.map((n) => ({ ...n, machines: n.machines.filter((m) => seesApp(principal, m.app)) })),
        };
      },
    }),
  ];
}
