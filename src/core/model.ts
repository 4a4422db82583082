// The records berth keeps, as the rest of the code sees them (the store maps rows to these).
import type { AppConfig } from './config/types.js';
import type { MachineRunConfig } from './machine-run-config.js';
import type { MachineState } from './machine-state.js';
import type { ReleaseStatus } from './release-status.js';

export interface App {
  name: string;
  currentRelease: number | null;
  createdAt: string;
  createdBy: string;
}

export interface Release {
  app: string;
  version: number;
  status: ReleaseStatus;
  description: string;
  createdBy: string;
  artifactDigest: string;
  configFile: string;
  config: AppConfig;
  failureReason: string | null;
  /** Digest of the app's secrets when the release was made (null: it had none). */
  secretsDigest: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Machine {
  id: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  command: string;
  managed: boolean;
  state: MachineState;
  /** The proxy may route to it (once it answers). Rollouts flip this, never the supervisor. */
  serving: boolean;
  /** Driver handle as JSON; absent before the first start. */
  handle: unknown;
  address: string | null;
  restarts: number;
  lastExit: string | null;
  startedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** A name given with `machine run --name`; null for deploy-made machines. */
  name: string | null;
  /** Its own config when made by `machine run` (or cloned from one); null otherwise. */
  runConfig: MachineRunConfig | null;
}

export type DeploymentStatus = 'running' | 'succeeded' | 'failed' | 'reverted';

export interface Deployment {
  id: number;
  app: string;
  releaseVersion: number;
  strategy: string;
  status: DeploymentStatus;
  step: string;
  state: Record<string, unknown>;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface BerthEvent {
  id: number;
  at: string;
  app: string | null;
  releaseVersion: number | null;
  machineId: string | null;
  kind: string;
  message: string;
  data: Record<string, unknown> | null;
}
