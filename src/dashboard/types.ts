// The fields of the API's answers that the pages read (the schemas in src/api are the source).
export interface Session {
  name: string;
  role: string;
  csrf: string;
  /** The apps the token is limited to (GET /v1/whoami); null or absent: every app. */
  apps?: string[] | null;
}

export interface AppSummary {
  name: string;
  currentRelease: number | null;
  url: string;
  driver: string;
  state: string;
  latestRelease: { version: number; status: string; createdBy: string; createdAt: string } | null;
  machines: { started: number; total: number };
  restartsLastHour: number;
  urls: string[];
}

export interface Release {
  version: number;
  status: string;
  description: string;
  createdBy: string;
  createdAt: string;
  failureReason: string | null;
}

export interface Machine {
  id: string;
  releaseVersion: number;
  processGroup: string;
  state: string;
  address: string | null;
  restarts: number;
  restartsLastHour: number;
  crashLooping: boolean;
  uptimeSeconds: number | null;
  lastExit: string | null;
}

export interface Status {
  app: AppSummary;
  release: Release | null;
  deployment: { id: number; releaseVersion: number; status: string; step: string } | null;
  machines: Machine[];
}

export interface BerthEvent {
  id: number;
  at: string;
  releaseVersion: number | null;
  machineId: string | null;
  kind: string;
  message: string;
}

export interface LogRecord {
  time: string;
  machine: string;
  processGroup: string;
  release: number;
  stream: string;
  line: string;
}

export interface Traffic {
  from: string;
  to: string;
  points: {
    at: string;
    release: number | null;
    requestsPerSecond: number;
    errorRate: number;
    p99Ms: number | null;
  }[];
}
