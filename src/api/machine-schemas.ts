// Schemas of one machine's detail, unmanaged machines and log lines; the SDK's types are
// derived from them.
import { Type } from '@sinclair/typebox';
import { EventSchema, MachineSchema, Nullable } from './schemas.js';

export const RunMachineBody = Type.Object(
  {
    release: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    artifact: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    env: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 65536 }))),
    port: Type.Optional(Type.Integer()),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    autoDestroy: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Set for machines made by `machine run`; env shows names only. */
export const MachineRunConfigSchema = Type.Object({
  envNames: Type.Array(Type.String()),
  port: Nullable(Type.Integer()),
  autoDestroy: Type.Boolean(),
  artifact: Nullable(Type.String()),
});

/** `berth machine status`: the machine, its own config when unmanaged, and its latest events. */
export const MachineDetailSchema = Type.Object({
  machine: MachineSchema,
  runConfig: Nullable(MachineRunConfigSchema),
  events: Type.Array(EventSchema),
});

/** One line of machine output as `GET /v1/apps/{app}/logs` streams it (NDJSON). */
export const LogLineSchema = Type.Object({
  /** ISO 8601, milliseconds. */
  time: Type.String(),
  machine: Type.String(),
  processGroup: Type.String(),
  release: Type.Integer(),
  /** `berth` lines are the daemon's own words about the machine (started, exited, stopped). */
  stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Literal('berth')]),
  line: Type.String(),
});
