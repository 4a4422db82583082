// The API's records, as the SDK returns them (see GET /v1/openapi.json).

/** berth's drivers: machines as processes on the host, or as Docker containers. */
export type DriverName = 'process' | 'docker' | 'swarm';

export interface AppInfo {
  name: string;
  currentRelease: number | null;
  url: string;
  createdAt: string;
  createdBy: string;
  /** The driver its machines run on; null before its first deploy. */
  driver: DriverName | null;
}

export interface ReleaseInfo {
  app: string;
  version: number;
  status: string;
  description: string;
  createdBy: string;
  artifactDigest: string;
  configFile: string;
  failureReason: string | null;
  /** What the failing machine printed last, taken when it failed (it may be gone since). */
  failureOutput: FailedMachineOutputInfo | null;
  /** Digest of the app's secrets when the release was made (null: it had none). */
  secretsDigest: string | null;
  /** The driver the release runs on. */
  driver: DriverName;
  createdAt: string;
  updatedAt: string;
}

export interface FailedMachineOutputInfo {
  machineId: string;
  processGroup: string;
  reason: string;
  /** Its last log lines, oldest first. */
  lines: string[];
  at: string;
}

export interface MachineInfo {
  id: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  command: string;
  managed: boolean;
  name: string | null;
  state: string;
  address: string | null;
  restarts: number;
  lastExit: string | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  createdAt: string;
}

export interface EventInfo {
  id: number;
  at: string;
  app: string | null;
  releaseVersion: number | null;
  machineId: string | null;
  kind: string;
  message: string;
  data: Record<string, unknown> | null;
  /** Who caused it (the API user), or null for the daemon on its own. */
  actor: string | null;
}

export type AppState = 'new' | 'deploying' | 'deployed' | 'crashloop' | 'failed' | 'stopped' | 'suspended';

/** An app at a glance (`apps list`, `status`). */
export interface AppSummaryInfo extends AppInfo {
  state: AppState;
  /** The newest release, live or not. */
  latestRelease: { version: number; status: string; createdBy: string; createdAt: string } | null;
  machines: { started: number; total: number };
  restartsLastHour: number;
  /** http, and https when the daemon has a TLS listener. */
  urls: string[];
}

export interface MachineAtGlanceInfo extends MachineInfo {
  restartsLastHour: number;
  crashLooping: boolean;
}

/** What an app has used: machine-seconds run, requests served, schedule runs. */
export interface UsageFigures {
  machineSeconds: number;
  requests: number;
  scheduleRuns: number;
}

export interface UsageInfo {
  total: UsageFigures;
  releases: (UsageFigures & { release: number })[];
}

export interface TrafficFigures {
  requests: number;
  requestsPerSecond: number;
  /** Share of requests answered 5xx, 0 to 1. */
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  bytesIn: number;
  bytesOut: number;
  inFlight: number;
}

/** An app's traffic over the last minutes (GET /v1/apps/{app}/metrics). */
export interface AppTrafficInfo {
  app: string;
  from: string;
  to: string;
  seconds: number;
  total: TrafficFigures;
  /** release null: requests the proxy answered itself, with no machine to send them to. */
  releases: (TrafficFigures & { release: number | null })[];
  points: {
    at: string;
    release: number | null;
    requestsPerSecond: number;
    errorRate: number;
    p99Ms: number | null;
  }[];
}

export interface StatusInfo {
  app: AppSummaryInfo;
  usage: UsageInfo;
  release: ReleaseInfo | null;
  deployment: { id: number; releaseVersion: number; status: string; step: string } | null;
  machines: MachineAtGlanceInfo[];
}

export interface DeployResult {
  release: ReleaseInfo;
  deploymentId: number;
  url: string;
  warnings: string[];
}

/** An app's deploy lock; `description` says who holds it since when, for people. */
export interface LockInfo {
  app: string;
  owner: string;
  user: string;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
  expired: boolean;
  description: string;
}

/** One line of machine output as `GET /v1/apps/{app}/logs` streams it. */
export type { LogRecord as LogLine } from '../core/logs/log-record.js';

/** One secret as `secrets list` shows it: never its value. */
export interface SecretInfo {
  name: string;
  /** HMAC digest of the current value; null when it exists only as a staged set. */
  digest: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
  pending: { action: 'set' | 'unset'; digest: string | null; stagedAt: string; stagedBy: string } | null;
}

export interface SecretChangeInfo {
  set: string[];
  unset: string[];
}

export interface SecretsList {
  app: string;
  /** Digest of the current secret set, as releases record it. */
  digest: string | null;
  secrets: SecretInfo[];
  pending: SecretChangeInfo;
}

/** What a secrets change did: staged it, stored it (no release yet), or started deploying it. */
export interface SecretsChangeResult {
  app: string;
  outcome: 'staged' | 'stored' | 'deploying';
  change: SecretChangeInfo;
  pending: SecretChangeInfo;
  release: ReleaseInfo | null;
  deploymentId: number | null;
  url: string;
}

export interface VolumeInfo {
  id: string;
  app: string;
  name: string;
  sizeBytes: number;
  /** The size for people, e.g. "1 GB". */
  size: string;
  /** Bytes its files take on disk now. */
  usedBytes: number;
  machineId: string | null;
  attachedAt: string | null;
  createdAt: string;
  /** The volume's directory on the daemon's host. */
  path: string;
  /** Whether the driver enforces sizeBytes (the process driver does not). */
  quotaEnforced: boolean;
  /** swarm: the node its data lives on (its machine is pinned there); null elsewhere or before placement. */
  node: { id: string; name: string; address: string | null } | null;
}

export interface DestroyedVolumeInfo {
  destroyed: string;
  /** With force: the machine that was drained and stopped because it held the volume. */
  stoppedMachine: { id: string; destination: string | null } | null;
}

/** `berth machine status`: the machine, its own config when unmanaged, and its latest events. */
export interface MachineStatusInfo {
  machine: MachineInfo;
  /** Set for machines made by `machine run`; env shows names only. */
  runConfig: {
    envNames: string[];
    port: number | null;
    autoDestroy: boolean;
    artifact: string | null;
  } | null;
  events: EventInfo[];
}

export interface GroupScaleInfo {
  group: string;
  desired: number;
  scaled: boolean;
  running: number;
  stopped: number;
  releases: number[];
}

export interface ScaleShowInfo {
  app: string;
  release: number;
  groups: GroupScaleInfo[];
}

export interface ScaleResultInfo {
  app: string;
  group: string;
  release: number;
  from: number;
  to: number;
  started: string[];
  removed: string[];
}

/** GET /v1/server: the daemon itself (`berth server status`). */
export interface ServerStatusInfo {
  pid: number;
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  home: string;
  apiUrl: string;
  proxyUrl: string;
  proxyTlsUrl: string | null;
  domain: string;
  defaultDriver: string;
  drivers: string[];
  apps: number;
  machinesRunning: number;
  controllable: boolean;
}

/** A host machines are placed on (a swarm node), from GET /v1/nodes. */
export interface NodeInfo {
  id: string;
  name: string;
  address: string | null;
  role: string;
  leader: boolean;
  state: string;
  availability: string;
  labels: Record<string, string>;
  machines: { id: string; app: string }[];
}
