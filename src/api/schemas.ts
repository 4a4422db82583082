// Request and response schemas of the API. Field names here are the stable names that
// `--json` output and the SDK expose.
import { Type, type Static } from '@sinclair/typebox';
import { UsageSchema } from './metrics-schemas.js';

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    hint: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const DriverNameSchema = Type.Union([
  Type.Literal('process'),
  Type.Literal('docker'),
  Type.Literal('swarm'),
]);

export const AppSchema = Type.Object({
  name: Type.String(),
  currentRelease: Nullable(Type.Integer()),
  url: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  /** The driver its machines run on; null before its first deploy. */
  driver: Nullable(DriverNameSchema),
});

export const ReleaseSchema = Type.Object({
  app: Type.String(),
  version: Type.Integer(),
  status: Type.String(),
  description: Type.String(),
  createdBy: Type.String(),
  artifactDigest: Type.String(),
  configFile: Type.String(),
  failureReason: Nullable(Type.String()),
  /** What the failing machine printed last, taken when it failed (it may be gone since). */
  failureOutput: Nullable(
    Type.Object({
      machineId: Type.String(),
      processGroup: Type.String(),
      reason: Type.String(),
      lines: Type.Array(Type.String()),
      at: Type.String(),
    }),
  ),
  secretsDigest: Nullable(Type.String()),
  /** The driver the release runs on. */
  driver: DriverNameSchema,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const ReleaseDetailSchema = Type.Composite([ReleaseSchema, Type.Object({ config: Type.Unknown() })]);

export const MachineSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  releaseVersion: Type.Integer(),
  processGroup: Type.String(),
  command: Type.String(),
  managed: Type.Boolean(),
  name: Nullable(Type.String()),
  state: Type.String(),
  address: Nullable(Type.String()),
  restarts: Type.Integer(),
  lastExit: Nullable(Type.String()),
  startedAt: Nullable(Type.String()),
  uptimeSeconds: Nullable(Type.Number()),
  createdAt: Type.String(),
});

export const EventSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  app: Nullable(Type.String()),
  releaseVersion: Nullable(Type.Integer()),
  machineId: Nullable(Type.String()),
  kind: Type.String(),
  message: Type.String(),
  data: Nullable(Type.Record(Type.String(), Type.Unknown())),
  /** Who caused it (the API user), or null for the daemon on its own. */
  actor: Nullable(Type.String()),
});

const APP_STATES = ['new', 'deploying', 'deployed', 'crashloop', 'failed', 'stopped', 'suspended'] as const;

/** An app at a glance: `apps list` and `status`. */
export const AppSummarySchema = Type.Composite([
  AppSchema,
  Type.Object({
    state: Type.Union(APP_STATES.map((s) => Type.Literal(s))),
    /** The newest release, live or not (a failed one shows here while an older one serves). */
    latestRelease: Nullable(
      Type.Object({
        version: Type.Integer(),
        status: Type.String(),
        /** Who made it (a deploy, rollback or secret change) and when. */
        createdBy: Type.String(),
        createdAt: Type.String(),
      }),
    ),
    machines: Type.Object({ started: Type.Integer(), total: Type.Integer() }),
    restartsLastHour: Type.Integer(),
    /** http, and https when the daemon has a TLS listener. */
    urls: Type.Array(Type.String()),
  }),
]);

export const MachineStatusSchema = Type.Composite([
  MachineSchema,
  Type.Object({ restartsLastHour: Type.Integer(), crashLooping: Type.Boolean() }),
]);

export const StatusSchema = Type.Object({
  app: AppSummarySchema,
  /** Machine-seconds, requests and schedule runs per release and in total. */
  usage: UsageSchema,
  release: Nullable(ReleaseSchema),
  deployment: Nullable(
    Type.Object({
      id: Type.Integer(),
      releaseVersion: Type.Integer(),
      status: Type.String(),
      step: Type.String(),
    }),
  ),
  machines: Type.Array(MachineStatusSchema),
});

export const CreateAppBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 63 }) },
  { additionalProperties: false },
);

/** How long a deploy waits for the app's deploy lock: 0 (fail at once) up to an hour. */
const LockWaitMs = Type.Integer({ minimum: 0, maximum: 3_600_000 });

export const DeployBody = Type.Object(
  {
    artifact: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
    config: Type.Object(
      {
        file: Type.String({ minLength: 1, maxLength: 255 }),
        text: Type.String({ maxLength: 1024 * 1024 }),
      },
      { additionalProperties: false },
    ),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    lockWaitMs: Type.Optional(LockWaitMs),
    /** Overrides [deploy] strategy for this deploy. */
    strategy: Type.Optional(
      Type.Union((['rolling', 'immediate', 'canary', 'bluegreen'] as const).map((s) => Type.Literal(s))),
    ),
    /** Overrides [deploy] wait_timeout: how long each batch may take to become healthy. */
    waitTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    skipReleaseCommand: Type.Optional(Type.Boolean()),
    /** This deploy's driver, and the app's from now on (`berth deploy --driver`). */
    driver: Type.Optional(DriverNameSchema),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBody>;

export const RollbackBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    lockWaitMs: Type.Optional(LockWaitMs),
  },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;

export const LockSchema = Type.Object({
  app: Type.String(),
  owner: Type.String(),
  user: Type.String(),
  acquiredAt: Type.String(),
  heartbeatAt: Type.String(),
  expiresAt: Type.String(),
  expired: Type.Boolean(),
  description: Type.String(),
});

export const NodeSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Nullable(Type.String()),
  role: Type.String(),
  leader: Type.Boolean(),
  state: Type.String(),
  availability: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  machines: Type.Array(Type.Object({ id: Type.String(), app: Type.String() })),
});

export const NodesResponse = Type.Object({ driver: DriverNameSchema, nodes: Type.Array(NodeSchema) });

export const LockResponse = Type.Object({ lock: Nullable(LockSchema) });
export const LockReleaseResponse = Type.Object({ released: Nullable(LockSchema) });

export const DeployResponse = Type.Object({
  release: ReleaseSchema,
  deploymentId: Type.Integer(),
  url: Type.String(),
  warnings: Type.Array(Type.String()),
});

export const ArtifactResponse = Type.Object({
  digest: Type.String(),
  size: Type.Integer(),
  created: Type.Boolean(),
});

export const HealthResponse = Type.Object({ ok: Type.Boolean(), version: Type.String() });

export const AppDestroyedResponse = Type.Object({ destroyed: Type.String() });

/** GET /v1/artifacts/{digest}: the daemon has it (HEAD asks the same without a body). */
export const ArtifactPresentResponse = Type.Object({ digest: Type.String() });

/** The API's own description; its paths are generated from the route list. */
export const OpenApiResponse = Type.Object({
  openapi: Type.String(),
  info: Type.Object({ title: Type.String(), version: Type.String() }),
  components: Type.Record(Type.String(), Type.Unknown()),
  security: Type.Array(Type.Record(Type.String(), Type.Array(Type.String()))),
  paths: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())),
});
