// The runtime driver contract. The daemon decides which machines should exist; a driver makes
// a release runnable (process: an unpacked tree; docker: an image), makes one machine exist,
// stops it, says what it sees, and owns everything local to it: handles, logs, addresses,
// volume storage and the base environment. Nothing outside src/drivers/ knows how.
import type { BerthError } from '../core/errors.js';
import type { AppConfig } from '../core/config/types.js';
import type { DriverName, PreparedRelease } from '../core/drivers.js';

export type { DriverName, PreparedRelease } from '../core/drivers.js';

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
  /**
   * `machine run --dir`: the artifact as it is, for one-off machines of the app's release
   * (`releaseVersion`), kept apart from the release's own form and not built.
   */
  oneOff?: boolean;
}

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
   * Ports the machine serves inside its own network (internal_port of its services, first =
   * HTTP). Process driver: one free host port instead, passed as PORT. Docker: PORT=first,
   * reached at the container's bridge address, each also published on a free host port on
   * 127.0.0.1.
   */
  ports: number[];
  prepared: PreparedRelease;
  /** Signal name for a graceful stop, e.g. "SIGINT". */
  killSignal: string;
  killTimeoutMs: number;
  /** [[vm]] sizing; a driver with appliesLimits turns them into limits (docker), others ignore them. */
  limits?: { memoryMb?: number; cpus?: number };
  /**
   * Volumes by id; the driver maps an id to its storage (process: <home>/volumes/<id>; docker:
   * a named volume). Absent or empty: none. A driver that cannot mount must refuse to start.
   */
  mounts?: { volumeId: string; destination: string; node?: string }[];
  /**
   * Constraints on the hosts the machine may run on, in Swarm's syntax
   * ("node.labels.region==eu"): [deploy] placement and primary_region. Single-host drivers ignore them.
   */
  placement?: string[];
  /** primary_region: node.labels.region==X where some node has a region label (core/placement.ts). */
  primaryRegion?: string;
  /**
   * The machine runs its command to the end, once (a release command, `berth run`, `machine run
   * --rm`, a schedule run): a driver that restarts machines itself (swarm) must not, and must
   * report its exit code. The process and docker drivers never restart a machine themselves.
   */
  once?: boolean;
  /**
   * A one-off that serves its port (`machine run --rm --port`): a driver that publishes ports
   * (swarm) publishes it as a deployed machine's, where the other one-offs publish none.
   */
  servesOnce?: boolean;
}

/**
 * A volume mount. node: the host its data lives on (swarm: a node id), once a machine mounting
 * it was first placed; a driver over several hosts runs the machine there and nowhere else.
 */
export type MachineMount = NonNullable<MachineSpec['mounts']>[number];

/** Typed per driver; stored as JSON in the machine's row and read back with parseHandle(). */
export type MachineHandle = ProcessHandle | DockerHandle | SwarmHandle;

/** addresses: internal port (as a string) -> host:port the proxy and health checks reach. */
export interface ProcessHandle {
  driver: 'process';
  /** The process group leader. */
  pid: number;
  /** Its start time as the OS reports it, to tell a reused pid from ours. */
  startTime?: string;
  logPath: string;
  addresses: Record<string, string>;
}

export interface DockerHandle {
  driver: 'docker';
  containerId: string;
  containerName: string;
  /**
   * The container's bridge address per port (<container IP>:<internal port>) where the host
   * reaches it, else the published one: docker-proxy accepts connections on a published port
   * before the app listens, which would fool readiness and the proxy.
   */
  addresses: Record<string, string>;
  /** Internal port -> 127.0.0.1:<host port> the Engine published it on, for people. */
  published: Record<string, string>;
}

/**
 * A machine on a Docker Swarm: a service of one replica whose task Swarm restarts, and moves to
 * another node when its node is lost. Its ports are published in host mode on ports berth
 * allocates, the same on whichever node runs it, so its address is that node's address.
 */
export interface SwarmHandle {
  driver: 'swarm';
  serviceId: string;
  serviceName: string;
  /** The task that ran the machine when this handle was made; another one is a restart or a move. */
  taskId: string;
  /** The node it ran on ('' while Swarm had not placed it). */
  nodeId: string;
  /** Internal port -> <node address>:<published port>; empty while no task runs. */
  addresses: Record<string, string>;
  /** Internal port -> the host-mode port published for it on the machine's node. */
  published: Record<string, number>;
}

/**
 * The address the proxy routes to: the one of `port` (the HTTP service's internal port) when
 * given and published, else the first. Object keys that look like numbers iterate in numeric
 * order, so callers that know the HTTP port pass it.
 */
export function primaryAddress(handle: MachineHandle, port?: number): string | undefined {
  if (port !== undefined && handle.addresses[String(port)] !== undefined) {
    return handle.addresses[String(port)];
  }
  return Object.values(handle.addresses)[0];
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

/** What listeningPorts() sees: ports as the machine sees them, inside its own network. */
export interface ListeningPorts {
  expected: number;
  listening: number[];
}

export type ObservedState =
  /**
   * moved: the driver itself restarted the machine or moved it to another node (swarm), and
   * this is its handle now: the daemon records it, says why, and routes to it once it answers.
   */
  | {
      state: 'running';
      moved?: { handle: MachineHandle; why: string };
      /**
       * The machine cannot run where it may (its volume's node is lost) and the driver will not
       * place it anywhere else: why, for the machine's state and an event.
       */
      stranded?: string;
    }
  /** lost: the machine's host was lost while it ran (swarm: its node is down), its exit unknown. */
  | { state: 'exited'; exitCode: number | null; signal: string | null; lost?: string }
  | { state: 'missing' };

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** What a driver knows of a line it follows besides its text. */
export interface LineInfo {
  /** When it was written (ISO 8601): docker's own stamp; process: the log file's mtime as read. */
  time: string;
  stream?: 'stdout' | 'stderr';
  /** Opaque: passed back as FollowOptions.after, the follow resumes past this line. */
  cursor: string;
}

export interface FollowOptions {
  fromStart?: boolean;
  /** Resume past this cursor; one the driver cannot place (a truncated file) starts from the start. */
  after?: string;
  /** When it aborts, the follow delivers what has been written so far, then resolves. */
  drain?: AbortSignal;
  /** Resolve once the machine has exited and every line it wrote has been delivered. */
  untilExit?: boolean;
  /**
   * The caller keeps every line it is given: the driver may free what it has delivered
   * (process: the machine's log file is emptied once read past this many bytes).
   */
  reclaimBytes?: number;
}

export type ExitListener = (
  machineId: string,
  exit: { exitCode: number | null; signal: string | null },
) => void;

/** What exec() runs inside a running machine (`berth exec`, `berth console`). */
export interface ExecRequest {
  /** The program and its arguments, run as given (no shell unless it names one). */
  command: string[];
  /** A terminal (PTY) of this size, TERM set to `term`; absent: pipes, with stdout and stderr apart. */
  tty?: { cols: number; rows: number; term: string };
}

/** A command running inside a machine, in the machine's environment, user and filesystem. */
export interface ExecSession {
  /** Output as it is written; with a tty everything comes as stdout. */
  onOutput(listener: (stream: 'stdout' | 'stderr', data: Uint8Array) => void): void;
  write(data: Uint8Array): void;
  /** No more input: the command reads end of file. */
  endInput(): void;
  resize(size: { cols: number; rows: number }): void;
  /** Ends the command and what it started (the client went away); the machine keeps running. */
  kill(): void;
  /** Settles once the command has exited and its output has been delivered. */
  readonly exit: Promise<{ exitCode: number | null; signal: string | null }>;
}

export interface Driver {
  readonly name: DriverName;
  /** Whether MachineSpec.limits ([[vm]] memory and cpus) become real limits; a deploy says so when not. */
  readonly appliesLimits?: boolean;
  /** Throws a BerthError (code 'build_failed' / 'image_not_found' / ...) with a hint when the build fails; changes nothing live. */
  prepareRelease(request: PrepareRequest): Promise<PreparedRelease>;
  /** Whether a prepared release is still runnable (rollback never rebuilds): the tree or image exists. */
  releaseAvailable(prepared: PreparedRelease): Promise<boolean>;
  /** Forgets prepared releases of an app other than the ones listed (docker: keeps the last 10 images). */
  pruneReleases?(app: string, keep: PreparedRelease[], options?: { appDestroyed?: boolean }): Promise<void>;
  /**
   * The commands a release's process groups run when the config has no [processes]:
   * process: Procfile / npm start; docker: { app: '' } = the image's own CMD.
   */
  defaultCommands(config: AppConfig, prepared: PreparedRelease): Promise<Record<string, string>>;
  /** Starts a machine and returns once it has been launched (not once it is healthy). */
  start(spec: MachineSpec): Promise<MachineHandle>;
  /** Sends the signal, waits up to timeoutMs, then kills. Resolves once it is gone. */
  stop(handle: MachineHandle, options: { signal: string; timeoutMs: number }): Promise<void>;
  /** What the machine is doing now. Works for machines started by an earlier daemon. */
  inspect(handle: MachineHandle): Promise<ObservedState>;
  /**
   * The handle of a machine the store has no handle for: a daemon killed between starting a
   * machine and recording it leaves one (process: handle.json; docker: by label
   * berth.machine=<id>). Undefined when the driver knows nothing of it.
   */
  recover(machineId: string): Promise<MachineHandle | undefined>;
  /** Removes whatever the machine left behind (its copy of the tree, its container). */
  destroy(handle: MachineHandle): Promise<void>;
  /**
   * Called when a machine this daemon started exits, so supervision reacts at once instead of
   * at the next poll. Machines adopted from an earlier daemon are seen by inspect() only.
   */
  onExit(listener: ExitListener): void;
  /** The last `count` lines of the machine's output (stdout and stderr interleaved as written). */
  tailLogs(handle: MachineHandle, count: number): Promise<string[]>;
  /**
   * Calls onLine for each line written after the call (from the end) until signal aborts;
   * with fromStart, every line the machine has written first; with after, every line past
   * that cursor (one a LineInfo gave); with untilExit, it resolves once the machine has exited
   * and every line it wrote has been delivered (`berth run`). Docker's follow ends by itself
   * once the container stops.
   */
  followLogs(
    handle: MachineHandle,
    onLine: (line: string, info: LineInfo) => void,
    signal: AbortSignal,
    options?: FollowOptions,
  ): Promise<void>;
  /**
   * Runs a command inside a running machine: process driver, in its namespaces (mount, PID),
   * as its user, in its tree, with the environment it was started with; docker, an Engine exec.
   * Refuses (machine_conflict) when the machine is not running.
   */
  exec(handle: MachineHandle, request: ExecRequest): Promise<ExecSession>;
  /**
   * Refuses exec before anything is started, where the driver cannot reach a running machine
   * at all (swarm: its container is on a node berth does not reach): `berth console` asks first.
   */
  refuseExec?(): BerthError | undefined;
  /** Volume storage: create (on first use) and remove data for good. */
  createVolume(volumeId: string): Promise<void>;
  removeVolume(volumeId: string): Promise<void>;
  /** Bytes the volume's data takes, when the driver can tell. */
  volumeUsage?(volumeId: string): Promise<number>;
  /** Where the volume's data is, for `volumes show` (process: its directory; docker: the volume's name). */
  volumeLocation?(volumeId: string): string;
  /** Whether machines can be given volumes on this host (asked before a deploy changes anything). */
  mountCapability?(): Promise<MountCapability>;
  /** What keeps machines apart from the daemon and from each other here (asked once at start). */
  isolation?(): Promise<Isolation>;
  /**
   * The port the machine was told to listen on and the TCP ports its processes do listen on,
   * so that one listening elsewhere fails at once instead of at the deploy's wait_timeout.
   * Undefined when the driver cannot tell.
   */
  listeningPorts?(handle: MachineHandle): Promise<ListeningPorts | undefined>;
  /**
   * Refuses, before a deploy changes anything, process-group commands this driver cannot run
   * (the process driver has no image whose CMD an empty command would mean).
   */
  refuseCommands?(commands: Record<string, string>): BerthError | undefined;
  /** The machine in the driver's own words for events, e.g. "pid 4242" or "container 1a2b3c". */
  describe?(handle: MachineHandle): string;
  /**
   * The host a machine was placed on, for a driver that places machines over several (swarm):
   * the volumes it mounts live there from then on, and it is pinned there.
   */
  nodeOf?(handle: MachineHandle): string | undefined;
  /** The hosts the driver places machines on, and which machines run on each (swarm). */
  nodes?(): Promise<DriverNode[]>;
  /** Sets and removes labels of one node (by id, id prefix, address or hostname); the node after. */
  labelNode?(ref: string, change: { set: Record<string, string>; remove: string[] }): Promise<DriverNode>;
  /**
   * Lets go of what the driver holds open (docker: the Engine's event stream) when the daemon
   * stops. Machines keep running; a later daemon adopts them.
   */
  close?(): void | Promise<void>;
}

/** A host of a driver that places machines over several (a swarm node), for `berth nodes list`. */
export interface DriverNode {
  id: string;
  /** Its hostname, else the start of its id. */
  name: string;
  /** Where its machines' published ports are reached. */
  address: string | null;
  role: string;
  leader: boolean;
  /** ready, down, unknown, disconnected */
  state: string;
  /** active, pause, drain */
  availability: string;
  labels: Record<string, string>;
  /** This daemon's machines whose task runs there. */
  machines: { id: string; app: string }[];
}

/** The daemon's drivers: the default, the ones available, and each one's reason when not. */
export interface DriverSet {
  default: DriverName;
  /** undefined: not available here. */
  get(name: DriverName): Driver | undefined;
  unavailable(name: DriverName): { cause: string; fix: string } | undefined;
  /** The driver that runs a stored handle / a prepared release. */
  forHandle(handle: MachineHandle): Driver;
}
