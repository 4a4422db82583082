// Scaling a process group: how many machines run the current release, without a new release.
import { Type } from '@sinclair/typebox';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';

const ScaleBody = Type.Object(
  {
    /** Default: "app", else the release's only group. */
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    count: Type.Integer(),
  },
  { additionalProperties: false },
);

const GroupScaleSchema = Type.Object({
  group: Type.String(),
  desired: Type.Integer(),
  scaled: Type.Boolean(),
  running: Type.Integer(),
  stopped: Type.Integer(),
  releases: Type.Array(Type.Integer()),
});

const ScaleShowSchema = Type.Object({
  app: Type.String(),
  release: Type.Integer(),
  groups: Type.Array(GroupScaleSchema),
});

const ScaleResultSchema = Type.Object({
  app: Type.String(),
  group: Type.String(),
  release: Type.Integer(),
  from: Type.Integer(),
  to: Type.Integer(),
  started: Type.Array(Type.String()),
  removed: Type.Array(Type.String()),
});

export function scaleRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/apps/{app}/scale',
      summary: 'Each process group: desired machine count, running and stopped machines, releases',
      tag: 'scale',
      response: ScaleShowSchema,
      handler: ({ params }) => s.scaler.show(requireApp(s.store, params.app!).name),
    }),
    route({
      method: 'POST',
      path: '/v1/apps/{app}/scale',
      summary:
        'Set how many machines a process group runs; new ones serve once healthy, removed ones drain first',
      tag: 'scale',
      body: ScaleBody,
      response: ScaleResultSchema,
      handler: ({ params, body, user }) =>
        s.scaler.count(requireApp(s.store, params.app!).name, { group: body.group, count: body.count, user }),
    }),
  ];
}
