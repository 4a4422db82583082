// Scaling a process group: how many machines run the current release, without a new release.
import { isBerthError, toErrorBody, BerthError } from '../../core/errors.js';
import { requireApp } from '../lookups.js';
import { startNdjson } from '../ndjson.js';
import { route, STREAMED, type Route } from '../router.js';
import type { ApiServices } from '../services.js';
import { ScaleBody, ScaleLineSchema, ScaleShowSchema } from '../scale-schemas.js';

export function scaleRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/scale',
      summary: 'Each process group: desired machine count, running and stopped machines, releases',
      access: 'read',
      tag: 'scale',
      response: ScaleShowSchema,
      handler: ({ params }) => s.scaler.show(requireApp(s.store, params.app!).name),
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/scale',
      summary:
        'Set how many machines a process group runs; new ones serve once healthy, removed ones drain first. ' +
        'Refusals are plain JSON errors; once under way, NDJSON lines {"message"} then {"result"} or {"error"}',
      access: 'deploy',
      tag: 'scale',
      body: ScaleBody,
      streams: 'application/x-ndjson',
      handler: async ({ params, body, user, res }) => {
        const app = requireApp(s.store, params.app!).name;
        const job = await s.scaler.prepare(app, { group: body.group, count: body.count, user });
        // Streamed: a scale waits for health, which can outlast an HTTP client's patience.
        const write = startNdjson(res, ScaleLineSchema);
        try {
          write({ result: await job.run((message) => write({ message })) });
        } catch (err) {
          const error = isBerthError(err) ? err : new BerthError('internal', String(err));
          write(toErrorBody(error));
        }
        res.end();
        return STREAMED;
      },
    }),
  ];
}
