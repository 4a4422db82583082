// The API's records, as the SDK returns them (see GET /v1/openapi.json).
export interface AppInfo {
  name: string;
  currentRelease: number | null;
  url: string;
  createdAt: string;
  createdBy: string;
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
  createdAt: string;
  updatedAt: string;
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
}

export interface StatusInfo {
  app: AppInfo;
  release: ReleaseInfo | null;
  deployment: { id: number; releaseVersion: number; status: string; step: string } | null;
  machines: MachineInfo[];
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

export interface LogLine {
  machine: string;
  processGroup: string;
  line: string;
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
