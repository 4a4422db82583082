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
}

export interface DestroyedVolumeInfo {
  destroyed: string;
  /** With force: the machine that was drained and stopped because it held the volume. */
  stoppedMachine: { id: string; destination: string | null } | null;
}
