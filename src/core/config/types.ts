// The normalized, typed form of berth.toml / fly.toml. Every shape real files use is folded
// into this one model by normalize.ts; the rest of berth reads only this.

import type { ErrorCode } from '../errors.js';

/** A problem found in a config file. Errors stop a deploy; warnings never do. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Key path, e.g. "http_service.internal_port" or "services[2].ports[0].port". */
  path: string;
  message: string;
  /** How to fix it, in one sentence. */
  hint: string;
  /** 1-based line in the file, where it could be found. */
  line?: number;
  column?: number;
  /** Set where an error has a code of its own in the catalog (e.g. unsupported_builder). */
  code?: ErrorCode;
}

export type DeployStrategy = 'rolling' | 'immediate' | 'canary' | 'bluegreen';
export type AutoStop = 'off' | 'stop' | 'suspend';

export interface CheckConfig {
  name: string;
  type: 'http' | 'tcp';
  /** Internal port the check targets. */
  port: number;
  /** Milliseconds. */
  intervalMs: number;
  timeoutMs: number;
  gracePeriodMs: number;
  /** HTTP only. */
  method: string;
  path: string;
  protocol: 'http' | 'https';
  headers: Record<string, string>;
}

/** Requests one machine serves at once; over hardLimit the proxy queues them. */
export interface ConcurrencyConfig {
  type: 'connections' | 'requests';
  softLimit?: number;
  hardLimit?: number;
}

export interface HttpServiceConfig {
  internalPort: number;
  forceHttps: boolean;
  autoStopMachines: AutoStop;
  autoStartMachines: boolean;
  minMachinesRunning: number;
  /** Process groups that serve this service; empty means the default group ("app"). */
  processes: string[];
  concurrency?: ConcurrencyConfig;
  /** Idle window before auto-stop, milliseconds. */
  idleTimeoutMs: number;
  checks: CheckConfig[];
}

export interface ServicePort {
  port: number;
  handlers: string[];
  forceHttps: boolean;
}

export interface ServiceConfig {
  protocol: 'tcp' | 'udp';
  internalPort: number;
  processes: string[];
  ports: ServicePort[];
  autoStopMachines: AutoStop;
  autoStartMachines: boolean;
  minMachinesRunning: number;
  concurrency?: ConcurrencyConfig;
  checks: CheckConfig[];
}

export interface MountConfig {
  source: string;
  destination: string;
  initialSize?: string;
  processes: string[];
}

export interface ScheduleConfig {
  name: string;
  /** 5 fields (or 6, seconds first) or a macro; exactly one of cron and everyMs is set. */
  cron?: string;
  /** IANA zone the cron fields are read in; absent: UTC. */
  timezone?: string;
  everyMs?: number;
  command: string;
  /** A run still going after this long is stopped and recorded as timed out. */
  timeoutMs: number;
  /** "skip": a due time while the last run still goes is recorded as skipped, not run. */
  overlap: 'skip' | 'allow';
  /** Further attempts after a failed or timed-out run. */
  retries: number;
  /** How late a run due while the daemon was down may still start; absent: one interval. */
  catchUpMs?: number;
}

/** [notify]: where failures are POSTed. */
export interface NotifyConfig {
  urls: string[];
  /** The name of an app secret (`berth secrets set`) whose value signs each delivery. */
  secret?: string;
  /** The kinds sent; all of them by default. */
  events: string[];
}

/** One [[vm]] entry, its `size` preset folded in. */
export interface VmConfig {
  /** Groups it sizes; empty: every group. */
  processes: string[];
  memoryMb?: number;
  cpus?: number;
  cpuKind?: 'shared' | 'performance';
}

export interface AppConfig {
  /** May be absent in the file; the CLI then takes -a or the directory name. */
  app?: string;
  primaryRegion?: string;
  killSignal: string;
  /** Milliseconds. */
  killTimeoutMs: number;
  build: {
    /** berth's own: run once per release in its tree (process driver). */
    command?: string;
    /** An image to run as it is (docker driver). */
    image?: string;
    /** A Dockerfile to build, relative to the deploy directory (docker driver). */
    dockerfile?: string;
    /** The Dockerfile stage to build: fly's `build-target` (or `target`). */
    target?: string;
    /** Kept for messages; a config with a builder and nothing to build instead does not load. */
    builder?: string;
    /** [build.args]: the Dockerfile's ARGs. */
    args: Record<string, string>;
  };
  deploy: {
    strategy: DeployStrategy;
    releaseCommand?: string;
    releaseCommandTimeoutMs: number;
    /** A fraction of the group when < 1, a machine count when >= 1. */
    maxUnavailable: number;
    waitTimeoutMs: number;
    /**
     * A machine whose check fails this many times in a row after its grace period fails its
     * batch at once. Absent in configs stored before the key existed: read it with
     * maxUnhealthyChecksOf.
     */
    maxUnhealthyChecks?: number;
    /** Swarm constraints on the nodes machines run on ("node.labels.region==eu"); absent: any node. */
    placement?: string[];
  };
  env: Record<string, string>;
  /**
   * Process group name -> command line. Empty when the file has no [processes]. A command of ''
   * means the image's own CMD: the docker driver runs it, the process driver refuses it.
   */
  processes: Record<string, string>;
  httpService?: HttpServiceConfig;
  services: ServiceConfig[];
  /** Top-level [checks.NAME]. */
  checks: CheckConfig[];
  mounts: MountConfig[];
  schedules: ScheduleConfig[];
  /** Absent in configs without [notify] (and in those stored before it was read). */
  notify?: NotifyConfig;
  /** [[vm]] sizing (docker: container limits). Absent in configs stored before it was read. */
  vm?: VmConfig[];
}

export interface LoadedConfig {
  /** Absent when there are errors. */
  config?: AppConfig;
  diagnostics: Diagnostic[];
  /** The file the config came from, for messages. */
  file: string;
}

/** The process group used when the file names none. */
export const DEFAULT_PROCESS_GROUP = 'app';
