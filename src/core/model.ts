// The records berth keeps, as the rest of the code sees them (the store maps rows to these).
// A machine's record is the store's (src/store/machines.ts): it holds a driver's handle.
import type { AppConfig } from './config/types.js';
import type { DriverName, PreparedRelease } from './drivers.js';
import type { ReleaseStatus } from './release-status.js';

export interface App {
  name: string;
  currentRelease: number | null;
  createdAt: string;
  createdBy: string;
  /** The driver its machines run on, kept for its next deploys; null before its first deploy. */
  driver: DriverName | null;
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
  /** The failing machine's last output, taken when it failed; null when none failed. */
  failureOutput: FailedMachineOutput | null;
  /** Digest of the app's secrets when the release was made (null: it had none). */
  secretsDigest: string | null;
  /** The driver the release runs on (releases made before there were drivers: process). */
  driver: DriverName;
  /** The release as its driver prepared it; null until its build finished. */
  prepared: PreparedRelease | null;
  createdAt: string;
  updatedAt: string;
}

/** What a machine that failed a release last printed, kept with the release after the machine is gone. */
export interface FailedMachineOutput {
  machineId: string;
  processGroup: string;
  /** Why it failed ("not healthy within 60s (…)", "release command … exited with code 1"). */
  reason: string;
  /** Its last log lines, oldest first. */
  lines: string[];
  at: string;
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
  /** Who caused it: the API user, or null for the daemon on its own (restarts, auto-stop, wakes). */
  actor: string | null;
}
