// Response schemas of the metrics and usage endpoints.
import { Type } from '@sinclair/typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const Traffic = {
  requests: Type.Number(),
  requestsPerSecond: Type.Number(),
  /** Share of requests answered 5xx, 0 to 1. */
  errorRate: Type.Number(),
  p50Ms: Nullable(Type.Number()),
  p99Ms: Nullable(Type.Number()),
  bytesIn: Type.Number(),
  bytesOut: Type.Number(),
  inFlight: Type.Number(),
};

export const AppTrafficSchema = Type.Object({
  app: Type.String(),
  from: Type.String(),
  to: Type.String(),
  seconds: Type.Number(),
  total: Type.Object(Traffic),
  /** release null: requests the proxy answered itself, with no machine to send them to. */
  releases: Type.Array(Type.Object({ release: Nullable(Type.Integer()), ...Traffic })),
  points: Type.Array(
    Type.Object({
      at: Type.String(),
      release: Nullable(Type.Integer()),
      requestsPerSecond: Type.Number(),
      errorRate: Type.Number(),
      p99Ms: Nullable(Type.Number()),
    }),
  ),
});

const Usage = {
  machineSeconds: Type.Number(),
  requests: Type.Number(),
  scheduleRuns: Type.Number(),
};

export const UsageSchema = Type.Object({
  total: Type.Object(Usage),
  releases: Type.Array(Type.Object({ release: Type.Integer(), ...Usage })),
});
