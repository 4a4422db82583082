// Machines and their logs.
import { Type } from '@sinclair/typebox';
import { BerthError } from '../../core/errors.js';
import { requireApp } from '../lookups.js';
import { startNdjson } from '../ndjson.js';
import { route, STREAMED, type Route } from '../router.js';
import { EventSchema, MachineSchema } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { machineView } from '../views.js';
import { queryFlag, queryInteger } from '../query.js';

export function machineRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/machines',
      summary: 'List the machines of an app',
      tag: 'machines',
      response: Type.Array(MachineSchema),
      handler: ({ params }) => {
        requireApp(s.store, params.app!);
        return s.store.machines.listByApp(params.app!).map((m) => machineView(m));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/logs',
      summary: 'Machine logs as NDJSON; ?machine=ID, ?lines=N (default 100), ?follow=1',
      tag: 'machines',
      streams: 'application/x-ndjson',
      handler: async ({ params, query, req, res }) => {
        requireApp(s.store, params.app!);
        const only = query.get('machine');
        const lines = queryInteger(query, 'lines', { min: 0, max: 10_000, fallback: 100 });
        const follow = queryFlag(query, 'follow');
        const machines = s.store.machines
          .listByApp(params.app!)
          .filter((m) => (only ? m.id === only : true) && m.handle);
        if (only && machines.length === 0) {
          throw new BerthError('machine_not_found', `app "${params.app}" has no machine ${only}`);
        }
        // Each machine's output through its own driver (one whose driver is gone here is skipped).
        const sources = machines.flatMap((machine) => {
          const handle = machine.handle!;
          const driver = s.drivers.get(handle.driver);
          return driver ? [{ machine, handle, driver }] : [];
        });
        const write = startNdjson(res);
        const tails = await Promise.all(
          sources.map((source) => source.driver.tailLogs(source.handle, lines)),
        );
        sources.forEach((source, i) => {
          for (const line of tails[i]!) {
            write({ machine: source.machine.id, processGroup: source.machine.processGroup, line });
          }
        });
        if (!follow) {
          res.end();
          return STREAMED;
        }
        const abort = new AbortController();
        req.on('close', () => abort.abort());
        for (const source of sources) {
          void source.driver.followLogs(
            source.handle,
            (line) => write({ machine: source.machine.id, processGroup: source.machine.processGroup, line }),
            abort.signal,
          );
        }
        return STREAMED;
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/events',
      summary: "The app's events, oldest first; ?after=ID",
      tag: 'events',
      response: Type.Array(EventSchema),
      handler: ({ params, query }) => {
        requireApp(s.store, params.app!);
        const afterId = queryInteger(query, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
        return s.store.events.list({ app: params.app!, afterId });
      },
    }),
  ];
}
