// The hosts machines are placed on: a swarm's nodes, each with its address, state,
// availability, labels and the machines that run there. Only the swarm driver has nodes.
import { seesApp } from '../../core/access.js';
import { BerthError } from '../../core/errors.js';
import { route, type Route } from '../router.js';
import { Type } from '@sinclair/typebox';
import { parseLabelChanges } from '../../core/node-labels.js';
import type { Driver } from '../../drivers/driver.js';
import { NodeSchema, NodesResponse } from '../schemas.js';
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
        const driver = swarmOf(s);
        const nodes = await driver.nodes!();
        return {
          driver: driver.name,
          nodes: nodes.map((n) => ({ ...n, machines: n.machines.filter((m) => seesApp(principal, m.app)) })),
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/nodes/{node}/labels',
      summary: "Sets and removes a node's labels (placement constraints match them)",
      // Labels decide where every app's machines may run: the swarm's owner decides them.
      access: 'admin',
      tag: 'machines',
      body: LabelChangeBody,
      response: NodeSchema,
      handler: async ({ params, body }) => {
        const driver = swarmOf(s);
        const change = body as { set?: Record<string, string>; remove?: string[] };
        // Judged as the CLI's words would be, so the API refuses what the CLI refuses.
        const parsed = parseLabelChanges([
          ...Object.entries(change.set ?? {}).map(([k, v]) => `${k}=${v}`),
          ...(change.remove ?? []).map((k) => `${k}-`),
        ]);
        return driver.labelNode!(params.node!, parsed);
      },
    }),
  ];
}

const LabelChangeBody = Type.Object(
  {
    set: Type.Optional(Type.Record(Type.String(), Type.String())),
    remove: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

/** The driver that has nodes, or the error that says this daemon has none. */
function swarmOf(s: ApiServices): Driver {
  const driver = s.drivers.get('swarm');
  if (!driver?.nodes) {
    const missing = s.drivers.unavailable('swarm');
    throw new BerthError(
      'driver_unavailable',
      `this daemon has no nodes: it places machines on this host only${missing ? ` (no swarm: ${missing.cause})` : ''}`,
      { hint: missing?.fix || 'Start `berth server --driver swarm` on a swarm manager.' },
    );
  }
  return driver;
}
