// Addresses dedicated to an app: `berth ips allocate|list|release`. Each is its own listener
// that sends every request to the app, whatever the Host header. No release, no restart.
import { formatAddress } from '../../core/net/ip-address.js';
import type { IpAllocation } from '../../store/ip-allocations.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';
import { queryInteger } from '../query.js';
import { AllocateIpBody, IpReleasedResponse, IpSchema } from '../net-schemas.js';
import { Type } from '@sinclair/typebox';

export function ipRoutes(s: ApiServices): Route[] {
  const view = (a: IpAllocation) => ({
    address: a.address,
    port: a.port,
    url: `${a.tls ? 'https' : 'http'}://${formatAddress(a.address, a.port)}`,
    app: a.app,
    tls: a.tls,
    listening: s.netListeners.isListening(a.address, a.port),
    createdAt: a.createdAt,
    createdBy: a.createdBy,
  });
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/ips',
      summary: 'Addresses allocated to the app',
      access: 'read',
      tag: 'hostnames',
      response: Type.Array(IpSchema),
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!).name;
        return s.store.ipAllocations.list(app).map(view);
      },
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/ips',
      summary:
        'Allocate an address (default 127.0.0.1, a free port) that serves only this app, over HTTP or TLS',
      // Opens a listener on the host, outside the edge proxy.
      access: 'admin',
      tag: 'hostnames',
      body: AllocateIpBody,
      status: 201,
      response: IpSchema,
      handler: async ({ params, body, user }) => {
        const app = requireApp(s.store, params.app!).name;
        return view(await s.netListeners.allocate(app, body.address, body.port, user, body.tls === true));
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/apps/{app}/ips/{address}',
      summary: "Release one of the app's addresses (?port= when it has several on that IP)",
      access: 'admin',
      tag: 'hostnames',
      response: IpReleasedResponse,
      handler: async ({ params, query }) => {
        const app = requireApp(s.store, params.app!).name;
        const port = query.has('port')
          ? queryInteger(query, 'port', { min: 1, max: 65535, fallback: 0 })
          : undefined;
        const released = await s.netListeners.release(app, params.address!, port);
        return { released: { ...view(released), listening: false } };
      },
    }),
  ];
}
