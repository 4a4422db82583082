// Releases: list, show, and the release's progress events (replayed, then followed live).
import { Type } from '@sinclair/typebox';
import type { BerthEvent } from '../../core/model.js';
import { isFinalRelease } from '../../core/release-status.js';
import { requireApp, requireRelease } from '../lookups.js';
import { startNdjson } from '../ndjson.js';
import { route, STREAMED, type Route } from '../router.js';
import { EventSchema, ReleaseDetailSchema, ReleaseSchema } from '../schemas.js';
import type { ApiServices } from '../services.js';
import { releaseView } from '../views.js';
import { queryFlag } from '../query.js';

const FINAL_KINDS = new Set(['release.complete', 'release.failed']);

export function releaseRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/releases',
      summary: 'List releases, newest first',
      access: 'read',
      tag: 'releases',
      response: Type.Array(ReleaseSchema),
      handler: ({ params }) => {
        requireApp(s.store, params.app!);
        return s.store.releases.list(params.app!).map(releaseView);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/releases/{version}',
      summary: 'Show a release with its normalized config',
      access: 'read',
      tag: 'releases',
      response: ReleaseDetailSchema,
      handler: ({ params }) => {
        const release = requireRelease(s.store, params.app!, params.version!);
        return { ...releaseView(release), config: release.config };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/releases/{version}/events',
      summary: 'Progress events of a release as NDJSON; ?follow=1 streams until the release is final',
      access: 'read',
      tag: 'releases',
      streams: 'application/x-ndjson',
      handler: ({ params, query, req, res }) => {
        const release = requireRelease(s.store, params.app!, params.version!);
        const follow = queryFlag(query, 'follow');
        const write = startNdjson(res, EventSchema);
        let lastId = 0;
        let finished = false;
        const emit = (event: BerthEvent) => {
          if (event.id <= lastId) return;
          lastId = event.id;
          write(event);
          if (FINAL_KINDS.has(event.kind)) finished = true;
        };
        // Subscribe before replaying so nothing falls between the two.
        const buffered: BerthEvent[] = [];
        let replaying = true;
        const unsubscribe = s.store.events.subscribe((event) => {
          if (event.app !== release.app || event.releaseVersion !== release.version) return;
          if (replaying) buffered.push(event);
          else {
            emit(event);
            if (finished) close();
          }
        });
        const close = () => {
          unsubscribe();
          res.end();
        };
        for (const event of s.store.events.list({ app: release.app, releaseVersion: release.version }))
          emit(event);
        replaying = false;
        for (const event of buffered) emit(event);
        const current = s.store.releases.get(release.app, release.version);
        if (
          !follow ||
          finished ||
          (current && isFinalRelease(current.status) && !s.store.deployments.running(release.app))
        ) {
          close();
        } else {
          req.on('close', unsubscribe);
        }
        return STREAMED;
      },
    }),
  ];
}
