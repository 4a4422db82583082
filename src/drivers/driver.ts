// The runtime driver contract. The daemon decides which machines should exist; a driver makes
// one exist, stops it, and says what it sees. Process, Docker and Swarm drivers implement this
// without the core knowing which one runs.

/** Everything a driver needs to start one machine. */
export interface MachineSpec {
  machineId: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  /** Shell command line to run. */
  command: string;
  /** Full environment for the machine (the driver adds nothing secret to logs). */
  env: Record<string, string>;
  /**
   * The port the machine listens on inside its own network namespace (the config's
   * internal_port). The process driver, which shares the host network, ignores it and
   * allocates a free host port instead, passed as PORT.
   */
  internalPort?: number;
  /** The release's built tree; the driver gives each machine its own copy or image layer. */
  releaseDir: string;
  /** Signal name for a graceful stop, e.g. "SIGINT". */
  killSignal: string;
  killTimeoutMs: number;
  /**
   * Volumes: each host directory appears inside the machine at its destination. Absent or
   * empty: none. A driver that cannot do this must refuse to start the machine.
   */
  mounts?: VolumeMount[];
}

export interface VolumeMount {
  /** The volume's directory on the host. */
  source: string;
  /** Absolute path where the machine sees it. */
  destination: string;
}

/** Whether a driver can mount volumes here; when not, why and what to do about it. */
export type MountCapability = { ok: true } | { ok: false; cause: string; fix: string };

/**
 * What a driver returns for a started machine and later takes back to stop or inspect it.
 * Stored as JSON in the machine's row, so it must survive a daemon restart.
 */
export interface MachineHandle {
  driver: string;
  /** Process driver: pid of the process group leader. Docker: container id. */
  ref: string;
  /** Process start time as the OS reports it, to tell a reused pid from ours. */
  startTime?: string;
  /** host:port where the machine's service answers, when it has one. */
  address?: string;
  /** Where the machine's stdout/stderr go. */
  logPath: string;
}

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

/** What a build is: the app's `[build] command`, run once in the release's tree before any machine. */
export interface BuildRequest {
  app: string;
  /** The release's unpacked tree: the build's working directory, which it writes. */
  dir: string;
  command: string;
  /** The environment the build would get, for the driver to adapt to its sandbox. */
  env?: Record<string, string>;
}

/**
 * How the driver has a build run: the program to spawn (its own process group, output on pipes,
 * killed as a group on timeout) and how to read its exit as the command's.
 */
export interface BuildLaunch {
  file: string;
  args: string[];
  exitOf(
    exitCode: number | null,
    signal: NodeJS.Signals | null,
  ): { exitCode: number | null; signal: string | null };
  /** Said in the deploy's output when the build is less isolated than the app's own user would be. */
  note?: string;
  /** Replaces variables of the build's environment that mean something else in the sandbox. */
  env?: Record<string, string>;
}

/** What listeningPorts() sees: ports as the machine sees them, inside its own network. */
export interface ListeningPorts {
  expected: number;
  listening: number[];
}

export type ObservedState =
  | { state: 'running' }
  | { state: 'exited'; exitCode: number | null; signal: string | null }
  | { state: 'missing' };

export interface Driver {
  readonly name: string;
  /** Starts a machine and returns once it has been launched (not once it is healthy). */
  start(spec: MachineSpec): Promise<MachineHandle>;
  /** Sends spec.killSignal, waits up to killTimeoutMs, then kills. Resolves once it is gone. */
  stop(handle: MachineHandle, options: { signal: string; timeoutMs: number }): Promise<void>;
  /** What the machine is doing now. Works for machines started by an earlier daemon. */
  inspect(handle: MachineHandle): Promise<ObservedState>;
  /**
   * The handle of a machine the store has no handle for: a daemon killed between starting a
   * machine and recording it leaves one. Undefined when the driver knows nothing of it.
   */
  recover(machineId: string): Promise<MachineHandle | undefined>;
  /** Whether machines can be given volumes on this host (asked before a deploy changes anything). */
  mountCapability?(): Promise<MountCapability>;
  /** What keeps machines apart from the daemon and from each other here (asked once at start). */
  isolation?(): Promise<Isolation>;
  /**
   * Runs builds as the driver runs machines (its user, its sandbox). Without it the build runs
   * on the host as the daemon's user.
   */
  buildLaunch?(request: BuildRequest): Promise<BuildLaunch>;
  /**
   * The port the machine was told to listen on and the TCP ports its processes do listen on,
   * so that one listening elsewhere fails at once instead of at the deploy's wait_timeout.
   * Undefined when the driver cannot tell.
   */
  listeningPorts?(handle: MachineHandle): Promise<ListeningPorts | undefined>;
  /** Removes whatever the machine left behind (its copy of the tree, its container). */
  destroy(handle: MachineHandle): Promise<void>;
  /**
   * Called when a machine this daemon started exits, so supervision reacts at once instead of
   * at the next poll. Machines adopted from an earlier daemon are seen by inspect() only.
   */
  onExit(
    listener: (machineId: string, exit: { exitCode: number | null; signal: string | null }) => void,
  ): void;
}
