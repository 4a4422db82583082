// Machines and their logs.
import { Type } from '@sinclair/typebox';
import { BerthError } from '../../core/errors.js';
import { requireApp, requireRelease } from '../lookups.js';
import { startNdjson } from '../ndjson.js';
import { route, STREAMED, type Route } from '../router.js';
import { EventSchema, MachineSchema } from '../schemas.js';
import { LogLineSchema } from '../machine-schemas.js';
import type { ApiServices } from '../services.js';
import { machineView } from '../views.js';
import { queryFlag, queryInteger } from '../query.js';
import { passes, type LogFilter } from '../../daemon/logs/log-files.js';

/** ?machine and ?release, each checked: a machine is known by its record or its kept lines. */
function logFilter(s: ApiServices, app: string, query: URLSearchParams): LogFilter {
  const filter: LogFilter = {};
  const machine = query.get('machine');
  if (machine !== null) {
    const known = s.store.machines.get(machine);
    if (known?.app !== app && !s.logs.files.has(app, machine)) {
      throw new BerthError('machine_not_found', `app "${app}" has no machine ${machine}`, {
        hint: `\`berth machine list -a ${app}\` lists its machines; logs of gone machines are kept for ${days(s.logs.files.caps.retentionMs)}.`,
      });
    }
    filter.machine = machine;
  }
  const release = query.get('release');
  if (release !== null) filter.release = requireRelease(s.store, app, release).version;
  return filter;
}

function days(ms: number): string {
  const d = ms / 86_400_000;
  return d >= 1 ? `${Number(d.toFixed(1))} day(s)` : `${Math.round(ms / 3_600_000)} hour(s)`;
}

export function machineRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/machines',
      summary: 'List the machines of an app',
      access: 'read',
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
      summary:
        "The app's kept machine output as NDJSON, oldest first, machines gone included; ?machine=ID, ?release=vN, ?lines=N (newest N, default 100), ?follow=1 (then every new line, new machines' too)",
      access: 'read',
      tag: 'machines',
      streams: 'application/x-ndjson',
      handler: ({ params, query, req, res }) => {
        const app = requireApp(s.store, params.app!).name;
        const filter = logFilter(s, app, query);
        const lines = queryInteger(query, 'lines', { min: 0, max: 10_000, fallback: 100 });
        const follow = queryFlag(query, 'follow');
        const write = startNdjson(res, LogLineSchema);
        // Subscribed in the same turn as the files are read (synchronously): no line lost or twice.
        const unsubscribe = follow
          ? s.logs.collector.subscribe(app, (record) => {
              if (passes(record, filter)) write(record);
            })
          : undefined;
        for (const record of s.logs.files.tail(app, lines, filter)) write(record);
        if (!unsubscribe) {
          res.end();
          return STREAMED;
        }
        req.on('close', unsubscribe);
        return STREAMED;
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/events',
      summary: "The app's events, oldest first; ?after=ID",
      access: 'read',
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
