// Schemas of scaling; the SDK's types are derived from them.
import { Type } from '@sinclair/typebox';
import { ErrorSchema } from './schemas.js';

export const ScaleBody = Type.Object(
  {
    /** Default: "app", else the release's only group. */
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    count: Type.Integer(),
  },
  { additionalProperties: false },
);

export const GroupScaleSchema = Type.Object({
  group: Type.String(),
  desired: Type.Integer(),
  scaled: Type.Boolean(),
  running: Type.Integer(),
  stopped: Type.Integer(),
  releases: Type.Array(Type.Integer()),
});

export const ScaleShowSchema = Type.Object({
  app: Type.String(),
  release: Type.Integer(),
  groups: Type.Array(GroupScaleSchema),
});

export const ScaleResultSchema = Type.Object({
  app: Type.String(),
  group: Type.String(),
  release: Type.Integer(),
  from: Type.Integer(),
  to: Type.Integer(),
  started: Type.Array(Type.String()),
  removed: Type.Array(Type.String()),
});

/** A line of POST /v1/apps/{app}/scale once under way: progress, then the result or the error. */
export const ScaleLineSchema = Type.Union([
  Type.Object({ message: Type.String() }),
  Type.Object({ result: ScaleResultSchema }),
  ErrorSchema,
]);
