// `GET /v1/events`: what happened to an app (or every app), who did it and when, as NDJSON;
// the newest ?lines=N first replayed oldest first, then, with ?follow=1, each new one as it
// happens. A deploy's running commentary (build output, check results) only with ?all=1.
import type { BerthEvent } from '../../core/model.js';
import { isProgressDetail, progressDetailKinds } from '../../core/event-kinds.js';
import { seesApp } from '../../core/access.js';
import { requireApp } from '../lookups.js';
import { startNdjson } from '../ndjson.js';
import { EventSchema } from '../schemas.js';
import { queryFlag, queryInteger } from '../query.js';
import { route, STREAMED, type Route } from '../router.js';
import type { ApiServices } from '../services.js';

export function eventRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/events',
      summary:
        'Events as NDJSON, oldest first: ?app=NAME (default every app), ?lines=N newest (default 100), ?follow=1 streams new ones, ?all=1 adds deploy progress detail',
      // ?app= is checked against the token's apps; without it, only its apps' events.
      access: 'read',
      tag: 'events',
      streams: 'application/x-ndjson',
      handler: ({ query, req, res, principal }) => {
        const appParam = query.get('app');
        const app = appParam === null ? undefined : requireApp(s.store, appParam).name;
        const lines = queryInteger(query, 'lines', { min: 0, max: 10_000, fallback: 100 });
        const follow = queryFlag(query, 'follow');
        const all = queryFlag(query, 'all');
        // Without ?app=, a token limited to some apps sees theirs alone (the daemon's own events,
        // about no app, included only for tokens of every app).
        const apps = app === undefined ? (principal.apps ?? undefined) : undefined;
        const wanted = (e: BerthEvent) =>
          (app === undefined || e.app === app) &&
          seesApp(principal, e.app) &&
          (all || !isProgressDetail(e.kind));
        const write = startNdjson(res, EventSchema);
        let lastId = 0;
        const emit = (event: BerthEvent) => {
          if (event.id <= lastId) return;
          lastId = event.id;
          write(event);
        };
        // Subscribe before replaying so nothing falls between the two.
        const buffered: BerthEvent[] = [];
        let replaying = true;
        const unsubscribe = follow
          ? s.store.events.subscribe((event) => {
              if (!wanted(event)) return;
              if (replaying) buffered.push(event);
              else emit(event);
            })
          : () => {};
        const replay = s.store.events.recent({
          ...(app !== undefined && { app }),
          ...(apps !== undefined && { apps }),
          ...(!all && { exceptKinds: progressDetailKinds() }),
          limit: lines,
        });
        for (const event of replay) emit(event);
        replaying = false;
        for (const event of buffered) emit(event);
        if (!follow) {
          res.end();
          return STREAMED;
        }
        req.on('close', unsubscribe);
        return STREAMED;
      },
    }),
  ];
}
