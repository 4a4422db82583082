// The API's records as the SDK returns them, derived from the API's own schemas (the same ones
// that validate requests, describe GET /v1/openapi.json and, in the test suite, check every
// response), so they cannot drift from what the daemon sends.
import type { Static } from '@sinclair/typebox';
import type {
  AppSchema,
  AppSummarySchema,
  DeployResponse,
  DriverNameSchema,
  EventSchema,
  LockSchema,
  MachineSchema,
  MachineStatusSchema,
  NodeSchema,
  ReleaseDetailSchema,
  ReleaseSchema,
  StatusSchema,
} from '../api/schemas.js';
import type { AppTrafficSchema, UsageSchema } from '../api/metrics-schemas.js';
import type { LogLineSchema, MachineDetailSchema } from '../api/machine-schemas.js';
import type {
  SecretChangeSchema,
  SecretSchema,
  SecretsChangeResponse,
  SecretsListResponse,
} from '../api/secret-schemas.js';
import type { DestroyedVolumeSchema, VolumeSchema } from '../api/volume-schemas.js';
import type { GroupScaleSchema, ScaleResultSchema, ScaleShowSchema } from '../api/scale-schemas.js';
import type { ServerStatusSchema } from '../api/server-schemas.js';

/** berth's drivers: machines as processes on the host, as Docker containers, or across a swarm. */
export type DriverName = Static<typeof DriverNameSchema>;

export type AppInfo = Static<typeof AppSchema>;
export type ReleaseInfo = Static<typeof ReleaseSchema>;
/** A release with its normalized config (`releases show`). */
export type ReleaseDetailInfo = Static<typeof ReleaseDetailSchema>;
/** What the failing machine printed last, taken when it failed (it may be gone since). */
export type FailedMachineOutputInfo = NonNullable<ReleaseInfo['failureOutput']>;
export type MachineInfo = Static<typeof MachineSchema>;
export type EventInfo = Static<typeof EventSchema>;

/** An app at a glance (`apps list`, `status`). */
export type AppSummaryInfo = Static<typeof AppSummarySchema>;
export type AppState = AppSummaryInfo['state'];
export type MachineAtGlanceInfo = Static<typeof MachineStatusSchema>;

/** What an app has used: machine-seconds run, requests served, schedule runs. */
export type UsageInfo = Static<typeof UsageSchema>;
export type UsageFigures = UsageInfo['total'];

/** An app's traffic over the last minutes (GET /v1/apps/{app}/metrics). */
export type AppTrafficInfo = Static<typeof AppTrafficSchema>;
export type TrafficFigures = AppTrafficInfo['total'];

export type StatusInfo = Static<typeof StatusSchema>;
export type DeployResult = Static<typeof DeployResponse>;

/** An app's deploy lock; `description` says who holds it since when, for people. */
export type LockInfo = Static<typeof LockSchema>;

/** One line of machine output as `GET /v1/apps/{app}/logs` streams it. */
export type LogLine = Static<typeof LogLineSchema>;

/** One secret as `secrets list` shows it: never its value. */
export type SecretInfo = Static<typeof SecretSchema>;
export type SecretChangeInfo = Static<typeof SecretChangeSchema>;
export type SecretsList = Static<typeof SecretsListResponse>;
/** What a secrets change did: staged it, stored it (no release yet), or started deploying it. */
export type SecretsChangeResult = Static<typeof SecretsChangeResponse>;

export type VolumeInfo = Static<typeof VolumeSchema>;
export type DestroyedVolumeInfo = Static<typeof DestroyedVolumeSchema>;

/** `berth machine status`: the machine, its own config when unmanaged, and its latest events. */
export type MachineStatusInfo = Static<typeof MachineDetailSchema>;

export type GroupScaleInfo = Static<typeof GroupScaleSchema>;
export type ScaleShowInfo = Static<typeof ScaleShowSchema>;
export type ScaleResultInfo = Static<typeof ScaleResultSchema>;

/** GET /v1/server: the daemon itself (`berth server status`). */
export type ServerStatusInfo = Static<typeof ServerStatusSchema>;

/** A host machines are placed on (a swarm node), from GET /v1/nodes. */
export type NodeInfo = Static<typeof NodeSchema>;
