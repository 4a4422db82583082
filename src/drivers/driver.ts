// The runtime driver contract. The daemon decides which machines should exist; a driver makes
// one exist, stops it, and says what it sees. Process, Docker and Swarm drivers implement this
// without the core knowing which one runs.
import type { AppConfig } from '../core/config/types.js';

export type DriverName = 'process' | 'docker';

/** What the deployer asks a driver to make of an uploaded artifact: the release's runnable form. */
export interface PrepareRequest {
  app: string;
  releaseVersion: number;
  /** The uploaded artifact (a gzipped tar) on the daemon's disk. */
  artifactPath: string;
  artifactDigest: string;
  /** The release config's [build] section, as parsed (command, image, dockerfile, target, args). */
  build: AppConfig['build'];
  /** The build's environment: the config's [env] plus BERTH_APP and BERTH_RELEASE_VERSION. Never secrets. */
  env: Record<string, string>;
  /** Unpack limit (process driver) / context limit. */
  maxUnpackedBytes: number;
  timeoutMs: number;
  /** Progress for the deploy's output and `releases show`: a step, a line of build output, or a note. */
  onProgress(event: { kind: 'step' | 'output' | 'note'; line: string; stream?: 'stdout' | 'stderr' }): void;
  signal?: AbortSignal;
}

/** A release in the form its driver runs it. Stored as JSON on the release row (releases.prepared_json). */
export type PreparedRelease =
  | { driver: 'process'; dir: string }
  | { driver: 'docker'; image: string /* berth/<app>:v<N> */; imageId: string };

/** Everything a driver needs to start one machine. */
export interface MachineSpec {
  machineId: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  /** Shell command line; '' = the image's own CMD (docker). The process driver refuses '' with a hint. */
  command: string;
  /**
   * The app's environment: [env], secrets, run env, BERTH_* ids. The driver adds its own base
   * (process: PATH/LANG/TZ/HOME/USER from the host, HOME=/tmp for sandbox users; docker: nothing,
   * the image's ENV applies) and PORT. Never logged, never in a label.
   */
  env: Record<string, string>;
  /**
   * Ports the machine serves inside its own network (internal_port of its services, first = HTTP).
   * Process driver: one free host port instead, passed as PORT. Docker: PORT=first, each published
   * on a free host port on 127.0.0.1.
   */
  ports: number[];
  prepared: PreparedRelease;
  /** Signal name for a graceful stop, e.g. "SIGINT". */
  killSignal: string;
  killTimeoutMs: number;
  /** [[vm]] sizing; docker turns them into limits, process ignores them (and the config warns). */
  limits?: { memoryMb?: number; cpus?: number };
  /** Volumes by id; the driver maps an id to its storage (process: <home>/volumes/<id>; docker: a named volume). */
  mounts?: { volumeId: string; destination: string }[];
}

/** Typed per driver; stored as JSON in the machine's row and read back with parseHandle(). */
export type MachineHandle = ProcessHandle | DockerHandle;

export interface ProcessHandle {
  driver: 'process';
  pid: number;
  startTime?: string;
  logPath: string;
  /** Internal port (as a string) -> host:port the proxy and health checks reach. */
  addresses: Record<string, string>;
}

export interface DockerHandle {
  driver: 'docker';
  containerId: string;
  containerName: string;
  /** Internal port (as a string) -> host:port the proxy and health checks reach. */
  addresses: Record<string, string>;
}

/** The first address (the HTTP service's), which the proxy routes to. */
export function primaryAddress(handle: MachineHandle): string | undefined {
  return Object.values(handle.addresses)[0];
}

/** A stored handle read back, or undefined when it is not one any driver wrote. */
export function parseHandle(json: unknown): MachineHandle | undefined {
  const value = typeof json === 'string' ? safeParse(json) : json;
  if (typeof value !== 'object' || value === null) return undefined;
  const h = value as Record<string, unknown>;
  if (typeof h.addresses !== 'object' || h.addresses === null) return undefined;
  if (h.driver === 'process' && typeof h.pid === 'number' && typeof h.logPath === 'string') {
    return h as unknown as ProcessHandle;
  }
  if (h.driver === 'docker' && typeof h.containerId === 'string' && typeof h.containerName === 'string') {
    return h as unknown as DockerHandle;
  }
  return undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether a driver can mount volumes here; when not, why and what to do about it. */
export type MountCapability = { ok: true } | { ok: false; cause: string; fix: string };

/** How far machines are kept from the daemon and from each other on this host. */
export interface Isolation {
  /** Each app's machines run as a user of their own, never as the daemon's. */
  ownUsers: boolean;
  /** The daemon's home (credentials, keys, database, other machines) is hidden from machines. */
  homeHidden: boolean;
  /** Every process a machine starts, even one that leaves its session, is stopped with it. */
  processesContained: boolean;
  /** One line for the daemon's log and a deploy's output. */
  summary: string;
}

export type ObservedState =
  | { state: 'running' }
  | { state: 'exited'; exitCode: number | null; signal: string | null }
  | { state: 'missing' };

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface Driver {
  readonly name: DriverName;
  /** Throws a BerthError (code 'build_failed' / 'image_not_found' / ...) with a hint when the build fails; changes nothing live. */
  prepareRelease(request: PrepareRequest): Promise<PreparedRelease>;
  /** Whether a prepared release is still runnable (rollback never rebuilds): the tree or image exists. */
  releaseAvailable(prepared: PreparedRelease): Promise<boolean>;
  /** Forgets prepared releases of an app other than the ones listed (docker: keeps the last 10 images). */
  pruneReleases?(app: string, keep: PreparedRelease[]): Promise<void>;
  /**
   * The commands a release's process groups run when the config has no [processes]:
   * process: Procfile / npm start (today's commandsInTree); docker: { app: '' } = the image's own CMD.
   */
  defaultCommands(config: AppConfig, prepared: PreparedRelease): Promise<Record<string, string>>;
  /** Starts a machine and returns once it has been launched (not once it is healthy). */
  start(spec: MachineSpec): Promise<MachineHandle>;
  /** Sends the signal, waits up to timeoutMs, then kills. Resolves once it is gone. */
  stop(handle: MachineHandle, options: { signal: string; timeoutMs: number }): Promise<void>;
  /** What the machine is doing now. Works for machines started by an earlier daemon. */
  inspect(handle: MachineHandle): Promise<ObservedState>;
  /** process: handle.json; docker: by label berth.machine=<id>. */
  recover(machineId: string): Promise<MachineHandle | undefined>;
  /** Removes whatever the machine left behind (its copy of the tree, its container). */
  destroy(handle: MachineHandle): Promise<void>;
  /** Called when a machine exits, so supervision reacts at once instead of at the next poll. */
  onExit(
    listener: (machineId: string, exit: { exitCode: number | null; signal: string | null }) => void,
  ): void;
  /** The last `count` lines of the machine's output (stdout and stderr interleaved as written). */
  tailLogs(handle: MachineHandle, count: number): Promise<string[]>;
  /** Calls onLine for each line written after the call (from the end) until signal aborts. */
  followLogs(handle: MachineHandle, onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
  /** Volume storage: create (on first use) and remove data for good. */
  createVolume(volumeId: string): Promise<void>;
  removeVolume(volumeId: string): Promise<void>;
  /** Whether machines can be given volumes on this host (asked before a deploy changes anything). */
  mountCapability?(): Promise<MountCapability>;
  /** What keeps machines apart from the daemon and from each other here (asked once at start). */
  isolation?(): Promise<Isolation>;
}

/** The daemon's drivers: the default, the ones available, and each one's reason when not. */
export interface DriverSet {
  default: DriverName;
  /** Undefined: not available here. */
  get(name: DriverName): Driver | undefined;
  unavailable(name: DriverName): { cause: string; fix: string } | undefined;
  /** The driver that runs a stored handle / a prepared release. */
  forHandle(handle: MachineHandle): Driver;
}
