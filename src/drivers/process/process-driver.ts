// The process driver: a release is an unpacked, built tree (release-trees.ts); a machine is a
// detached process group running in its own copy of that tree, on a free host port, logging to
// a file, inside a sandbox where the host allows one (see mount-namespace.ts). Machines are their own session, so they outlive the
// daemon; a later daemon finds them again by pid and checks the start time so that a pid the
// kernel has since given to another process is never mistaken for ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { emptyCommandError } from '../../core/config/commands.js';
import type { AppConfig } from '../../core/config/types.js';
import { BerthError } from '../../core/errors.js';
import type { MountSupport } from './mount-support.js';
import { isVolumeId } from '../../core/volumes/volume-name.js';
import type {
  Driver,
  FollowOptions,
  LineInfo,
  ExecRequest,
  ExecSession,
  ExitListener,
  Isolation,
  ListeningPorts,
  MachineHandle,
  MachineSpec,
  MountCapability,
  ObservedState,
  PreparedRelease,
  PrepareRequest,
  ProcessHandle,
} from '../driver.js';
import { MemoryAppUsers, uidForApp, type AppUserRegistry } from './app-users.js';
import type { BuildLaunch } from './build-launch.js';
import { withHostBase } from './host-env.js';
import { followFile, lastLines } from './log-tail.js';
import { readHandle } from '../parse-handle.js';
import { commandsInTree, prepareTree, pruneTrees, type ReleaseTreeDirs } from './release-trees.js';
import { allocatePort } from './free-port.js';
import { execLaunch, startExec } from './machine-exec.js';
import { machineListeningPorts } from './listening-ports.js';
import { probeMountSupport, sandboxCommand } from './mount-namespace.js';
import { chownTree, coverFor, exitOfInit, type ExitInfo } from './sandbox-files.js';
import {
  childInOwnPidNamespace,
  hasExited,
  liveGroupMembers,
  procfsAvailable,
  readProcStat,
  readProcessStartTime,
} from './proc-stat.js';

export interface ProcessDriverOptions {
  /** One directory per machine is created under it: app/ (the tree), machine.log, handle.json. */
  machinesDir: string;
  /** What machines must not see: the daemon's home. Default: the parent of machinesDir. */
  home?: string;
  /** Release trees (<app>/v<N>), `machine run --dir` trees and volumes: default under home. */
  releasesDir?: string;
  oneOffDir?: string;
  volumesDir?: string;
  /** Where each app's uid is kept (as root). Default: in memory, for this driver's life. */
  users?: AppUserRegistry;
}

/** What handle.json holds: enough to find, identify and explain a machine without the store. */
export interface ProcessHandleFile {
  machineId: string;
  app: string;
  releaseVersion: number;
  processGroup: string;
  pid: number;
  startTime?: string;
  addresses: Record<string, string>;
  logPath: string;
  startedAt: string;
}

const DRIVER_NAME = 'process';
const LOG_FILE = 'machine.log';
const HANDLE_FILE = 'handle.json';
const POLL_MS = 50;
/** After SIGKILL only an uninterruptible sleep keeps a process; don't wait on it forever. */
const SIGKILL_WAIT_MS = 5_000;
/** How long to wait for Node to reap our own exited child and report its exit code. */
const REAP_WAIT_MS = 1_000;
const MACHINE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The sandbox passes each volume on a descriptor of its own, 4 to 9. */
const MAX_VOLUMES = 6;
const FOLLOW_POLL_MS = 100;

export class ProcessDriver implements Driver {
  readonly name = DRIVER_NAME;
  private readonly machinesDir: string;
  private readonly home: string;
  private readonly trees: ReleaseTreeDirs;
  private readonly volumesDir: string;
  private readonly users: AppUserRegistry;
  private readonly procfs = procfsAvailable();
  /** Machines this daemon spawned and that have not exited, by pid:startTime. */
  private readonly children = new Map<string, { child: ChildProcess; exited: Promise<ExitInfo> }>();
  /** Exit codes of machines this daemon spawned, by pid:startTime, until destroyed. */
  private readonly exits = new Map<string, ExitInfo>();
  /** Process groups a stop() is waiting on, whose leftovers it handles itself. */
  private readonly stopping = new Set<number>();
  private readonly listeners: ExitListener[] = [];
  /** Probed once, on the first machine, deploy or question that needs it. */
  private mountSupport: MountSupport | undefined;

  constructor({ machinesDir, home, users, releasesDir, oneOffDir, volumesDir }: ProcessDriverOptions) {
    this.machinesDir = resolve(machinesDir);
    this.home = resolve(home ?? dirname(this.machinesDir));
    this.trees = {
      releasesDir: resolve(releasesDir ?? join(this.home, 'releases')),
      oneOffDir: resolve(oneOffDir ?? join(this.home, 'machine-trees')),
    };
    this.volumesDir = resolve(volumesDir ?? join(this.home, 'volumes'));
    this.users = users ?? new MemoryAppUsers();
  }

  async prepareRelease(request: PrepareRequest): Promise<PreparedRelease> {
    const ownUser = this.sandbox.ok && !this.sandbox.userNamespace;
    return prepareTree(
      this.trees,
      request,
      (dir, command) => this.buildLaunch(request.app, dir, command),
      ownUser,
    );
  }

  async releaseAvailable(prepared: PreparedRelease): Promise<boolean> {
    if (prepared.driver !== DRIVER_NAME) return false;
    try {
      return (await stat(prepared.dir)).isDirectory();
    } catch {
      return false;
    }
  }

  async pruneReleases(app: string, keep: PreparedRelease[]): Promise<void> {
    await pruneTrees(this.trees, app, keep);
  }

  async defaultCommands(config: AppConfig, prepared: PreparedRelease): Promise<Record<string, string>> {
    return commandsInTree(config, this.treeOf(prepared));
  }

  async tailLogs(handle: MachineHandle, count: number): Promise<string[]> {
    return (await lastLines(this.own(handle).logPath, count)).lines;
  }

  async followLogs(
    handle: MachineHandle,
    onLine: (line: string, info: LineInfo) => void,
    signal: AbortSignal,
    options: FollowOptions = {},
  ): Promise<void> {
    const own = this.own(handle);
    const { logPath } = own;
    const size = await sizeOf(logPath);
    const after = options.after === undefined ? undefined : Number(options.after);
    // A cursor past the end: the file was emptied since, and all of it is new.
    const offset =
      after !== undefined && Number.isSafeInteger(after) && after >= 0
        ? after <= size
          ? after
          : 0
        : options.fromStart
          ? 0
          : size;
    // untilExit: once the machine has exited, drain what it wrote and end.
    const exited = options.untilExit ? new AbortController() : undefined;
    const drain =
      exited && options.drain
        ? AbortSignal.any([exited.signal, options.drain])
        : (exited?.signal ?? options.drain);
    let watching = exited !== undefined;
    const watch = async () => {
      while (watching && !signal.aborted) {
        if ((await this.inspect(own)).state !== 'running') return exited!.abort();
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      }
    };
    const watcher = watch();
    try {
      await followFile(logPath, offset, onLine, signal, {
        pollMs: FOLLOW_POLL_MS,
        ...(drain && { drain }),
        ...(options.reclaimBytes !== undefined && { reclaimBytes: options.reclaimBytes }),
      });
    } finally {
      watching = false;
      await watcher;
    }
  }

  async createVolume(volumeId: string): Promise<void> {
    await mkdir(this.volumeDir(volumeId), { recursive: true, mode: 0o755 });
  }

  async removeVolume(volumeId: string): Promise<void> {
    await rm(this.volumeDir(volumeId), { recursive: true, force: true });
  }

  async volumeUsage(volumeId: string): Promise<number> {
    return diskUsage(this.volumeDir(volumeId));
  }

  volumeLocation(volumeId: string): string {
    return this.volumeDir(volumeId);
  }

  describe(handle: MachineHandle): string {
    return `pid ${this.own(handle).pid}`;
  }

  private get sandbox(): MountSupport {
    this.mountSupport ??= probeMountSupport();
    return this.mountSupport;
  }

  async mountCapability(): Promise<MountCapability> {
    const support = this.sandbox;
    return support.ok ? { ok: true } : support;
  }

  async isolation(): Promise<Isolation> {
    const support = this.sandbox;
    if (support.ok && !support.userNamespace) {
      return {
        ownUsers: true,
        homeHidden: true,
        processesContained: true,
        summary:
          "machines run as a user of their own per app, in their own mount and PID namespaces: the daemon's home is hidden from them and every process they start stops with them",
      };
    }
    if (support.ok) {
      return {
        ownUsers: false,
        homeHidden: true,
        processesContained: true,
        summary:
          "machines share the daemon's user (it does not run as root; run `berth server` as root to give each app a user of its own); the daemon's home is hidden from them and every process they start stops with them (user, mount and PID namespaces)",
      };
    }
    return {
      ownUsers: false,
      homeHidden: false,
      processesContained: false,
      summary: `machines share the daemon's user and can read its home (credentials, master key, database), and a process they start with setsid can outlive them (${support.cause}); run \`berth server\` as root to isolate them`,
    };
  }

  /**
   * A build runs in the sandbox of the app's machines: as the app's user (who is given the
   * release's tree to write), with the daemon's home hidden but for that tree, and in a PID
   * namespace of its own, so nothing it started outlives it.
   */
  private async buildLaunch(app: string, dir: string, command: string): Promise<BuildLaunch> {
    const support = this.sandbox;
    if (!support.ok) {
      return {
        file: '/bin/sh',
        args: ['-c', command],
        exitOf: (exitCode, signal) => ({ exitCode, signal }),
        note: `the build runs as the daemon's user and can read its home (credentials, master key, database), and a process it starts with setsid can outlive it (${support.cause}); run \`berth server\` as root to isolate it`,
      };
    }
    const uid = support.userNamespace ? undefined : uidForApp(this.users, app);
    if (uid !== undefined) await chownTree(dir, uid);
    const { file, args } = sandboxCommand({
      support,
      cover: coverFor(this.home, uid),
      appDir: dir,
      uid,
      killSignal: 'SIGTERM',
      command,
      mounts: [],
    });
    return {
      file,
      args,
      exitOf: exitOfInit,
      ...(uid === undefined
        ? {
            note: "the build shares the daemon's user (it does not run as root; run `berth server` as root to give each app a user of its own); the daemon's home is hidden from it and every process it starts stops with it (user, mount and PID namespaces)",
          }
        : {}),
    };
  }

  async start(spec: MachineSpec): Promise<ProcessHandle> {
    const empty = emptyCommandError({ [spec.processGroup]: spec.command });
    if (empty) throw empty;
    const tree = this.treeOf(spec.prepared);
    const mounts = (spec.mounts ?? []).map((m) => ({
      source: this.volumeDir(m.volumeId),
      destination: m.destination,
    }));
    const support = this.sandbox;
    if (mounts.length > 0 && !support.ok) {
      // Running without the volume would write the data somewhere nobody keeps.
      throw new BerthError(
        'mounts_unsupported',
        `machine ${spec.machineId} needs a volume at ${mounts[0]!.destination}, but ${support.cause}`,
        { hint: support.fix },
      );
    }
    if (mounts.length > MAX_VOLUMES) {
      throw new BerthError(
        'mounts_unsupported',
        `machine ${spec.machineId} has ${mounts.length} volumes; the process driver mounts at most ${MAX_VOLUMES}`,
        { hint: 'Keep the data of one machine in fewer volumes, with [mounts] entries for at most six.' },
      );
    }
    const dir = this.machineDir(spec.machineId);
    const appDir = join(dir, 'app');
    const logPath = join(dir, LOG_FILE);
    // Only the daemon may read a machine's log and handle (the log may show what its app printed).
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await this.refuseIfRunning(dir, spec.machineId);

    // A fresh copy on every start, like a container from its image: what the last run wrote
    // is gone, and nothing the machine writes reaches the release or another machine.
    await rm(appDir, { recursive: true, force: true });
    await cp(tree, appDir, {
      recursive: true,
      verbatimSymlinks: true,
      mode: fsConstants.COPYFILE_FICLONE,
    });

    // As root, the app's own user owns its tree and volumes, and nothing else.
    const uid = support.ok && !support.userNamespace ? uidForApp(this.users, spec.app) : undefined;
    if (uid !== undefined) await this.giveTo(uid, appDir, mounts);

    for (const mount of mounts) await mkdir(mount.source, { recursive: true });
    const port = await allocatePort('127.0.0.1');
    // One host port stands for the machine's first internal port: processes share the host's network.
    const addresses = { [String(spec.ports[0] ?? port)]: `127.0.0.1:${port}` };
    const log = await open(logPath, 'a', 0o600);
    let pid: number;
    let startTime: string | undefined;
    try {
      await log.chmod(0o600);
      const { file, args } = support.ok
        ? sandboxCommand({
            support,
            cover: coverFor(this.home, uid),
            appDir,
            uid,
            killSignal: spec.killSignal,
            command: spec.command,
            mounts,
          })
        : { file: '/bin/sh', args: ['-c', spec.command] };
      const child = spawn(file, args, {
        cwd: appDir,
        env: { ...withHostBase(spec.env, { ownUser: uid !== undefined }), PORT: String(port) },
        // setsid(): its own session and process group, so it survives the daemon and a stop
        // reaches everything it started.
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      if (child.pid === undefined) {
        const [err] = (await once(child, 'error')) as [Error];
        throw new BerthError('internal', `could not start machine ${spec.machineId}: ${err.message}`);
      }
      pid = child.pid;
      // Read before yielding to the event loop: until Node reaps it, even a child that has
      // already exited still has its /proc entry.
      startTime = readProcessStartTime(pid);
      this.track(spec.machineId, child, pid, startTime, support.ok);
    } finally {
      await log.close();
    }

    const handle: ProcessHandle = { driver: DRIVER_NAME, pid, addresses, logPath };
    if (startTime !== undefined) handle.startTime = startTime;
    const record: ProcessHandleFile = {
      machineId: spec.machineId,
      app: spec.app,
      releaseVersion: spec.releaseVersion,
      processGroup: spec.processGroup,
      pid,
      ...(startTime !== undefined ? { startTime } : {}),
      addresses,
      logPath,
      startedAt: new Date().toISOString(),
    };
    try {
      await writeJsonAtomic(join(dir, HANDLE_FILE), record);
    } catch (err) {
      // Without a record the machine would be an orphan nobody knows about.
      await this.stop(handle, { signal: 'SIGKILL', timeoutMs: 0 });
      throw err;
    }
    return handle;
  }

  async stop(handle: MachineHandle, options: { signal: string; timeoutMs: number }): Promise<void> {
    const own = this.own(handle);
    const pid = own.pid;
    const signal = signalName(options.signal);
    if (!validPid(pid) || !this.isOurs(pid, own)) return;
    if (this.groupAlive(pid)) {
      this.stopping.add(pid);
      try {
        // A sandboxed machine's init forwards the signal to each of its processes once; the
        // group also holds unshare, which must only die with the namespace.
        const init = signal === 'SIGKILL' ? undefined : childInOwnPidNamespace(pid);
        if (init !== undefined) signalProcess(init, signal);
        else signalGroup(pid, signal);
        if (!(await this.waitGroupGone(pid, Math.max(0, options.timeoutMs)))) {
          signalGroup(pid, 'SIGKILL');
          if (!(await this.waitGroupGone(pid, SIGKILL_WAIT_MS))) {
            throw new BerthError('internal', `process group ${pid} is still there after SIGKILL`, {
              hint: 'A process stuck in uninterruptible sleep (state D) cannot be killed; check `ps -g PID`.',
            });
          }
        }
      } finally {
        this.stopping.delete(pid);
      }
    }
    // Let our own child's exit be recorded (and onExit fire) before reporting it stopped.
    await this.awaitOwnExit(pid, own.startTime);
  }

  async recover(machineId: string): Promise<ProcessHandle | undefined> {
    const record = await readHandleFile(join(this.machineDir(machineId), HANDLE_FILE));
    if (!record || record.machineId !== machineId) return undefined;
    const handle: ProcessHandle = {
      driver: DRIVER_NAME,
      pid: record.pid,
      addresses: record.addresses,
      logPath: record.logPath,
    };
    if (record.startTime !== undefined) handle.startTime = record.startTime;
    return handle;
  }

  async inspect(handle: MachineHandle): Promise<ObservedState> {
    const own = this.own(handle);
    const pid = own.pid;
    if (!validPid(pid)) return { state: 'missing' };
    const known = this.exits.get(key(pid, own.startTime));
    if (known) return { state: 'exited', ...known };

    if (!this.procfs) {
      // No /proc (not Linux): existence is all that can be checked.
      return processExists(pid) ? { state: 'running' } : { state: 'missing' };
    }
    const stat = readProcStat(pid);
    if (!stat) return { state: 'missing' };
    if (own.startTime !== undefined && stat.startTime !== own.startTime) return { state: 'missing' };
    if (hasExited(stat.state)) {
      // Our own child: Node is about to reap it and learn the exit code. Anyone else's zombie
      // (adopted machines under an init that does not reap) has exited with an unknown code.
      const exit = await this.awaitOwnExit(pid, own.startTime);
      return { state: 'exited', ...(exit ?? { exitCode: null, signal: null }) };
    }
    return { state: 'running' };
  }

  /** $PORT (the handle's address) and the ports the machine's processes listen on. */
  async listeningPorts(handle: MachineHandle): Promise<ListeningPorts | undefined> {
    const own = this.own(handle);
    const address = Object.values(own.addresses)[0];
    const expected = Number(address?.slice(address.lastIndexOf(':') + 1));
    if (!this.procfs || !Number.isInteger(expected) || !this.isOurs(own.pid, own)) return undefined;
    const listening = machineListeningPorts(own.pid);
    return listening && { expected, listening };
  }

  async exec(handle: MachineHandle, request: ExecRequest): Promise<ExecSession> {
    const own = this.own(handle);
    if ((await this.inspect(own)).state !== 'running') {
      throw new BerthError('machine_conflict', `machine process ${own.pid} is not running`, {
        hint: 'Start the machine first with `berth machine start ID`, or use `berth run` for a one-off command.',
      });
    }
    const appDir = join(this.dirOfHandle(own), 'app');
    const launch = await execLaunch({ pid: own.pid, appDir, support: this.sandbox }, request.command);
    return startExec(launch, request);
  }

  refuseCommands(commands: Record<string, string>): BerthError | undefined {
    return emptyCommandError(commands);
  }

  async destroy(handle: MachineHandle): Promise<void> {
    const own = this.own(handle);
    const dir = this.dirOfHandle(own);
    await rm(dir, { recursive: true, force: true });
    this.exits.delete(key(own.pid, own.startTime));
  }

  onExit(listener: ExitListener): void {
    this.listeners.push(listener);
  }

  /** Hands the machine's tree, and its volumes where another user owns them, to its user. */
  private async giveTo(uid: number, appDir: string, mounts: { source: string }[]): Promise<void> {
    await chownTree(appDir, uid);
    for (const mount of mounts) {
      if ((await lstat(mount.source)).uid !== uid) await chownTree(mount.source, uid);
    }
  }

  private track(
    machineId: string,
    child: ChildProcess,
    pid: number,
    startTime: string | undefined,
    sandboxed: boolean,
  ): void {
    const k = key(pid, startTime);
    // Without /proc there is no start time, so a reused pid would find the old exit here.
    this.exits.delete(k);
    // Errors after a successful spawn come only from child.kill(), which is never used here;
    // a listener keeps an 'error' from being thrown at the daemon.
    child.on('error', () => {});
    const exited = new Promise<ExitInfo>((resolveExit) => {
      child.once('exit', (exitCode, signal) => {
        const exit: ExitInfo = sandboxed ? exitOfInit(exitCode, signal) : { exitCode, signal };
        this.exits.set(k, exit);
        this.children.delete(k);
        // During a stop the shell often dies first while the app under it drains; the stop
        // gives the whole group its timeout.
        if (!this.stopping.has(pid)) killLeftovers(pid);
        resolveExit(exit);
        this.notify(machineId, exit);
      });
    });
    this.children.set(k, { child, exited });
    // The daemon may exit while machines run; they are adopted by the next one.
    child.unref();
  }

  private notify(machineId: string, exit: ExitInfo): void {
    for (const listener of this.listeners) {
      try {
        listener(machineId, exit);
      } catch (err) {
        // One faulty listener must neither stop the others nor crash the daemon.
        process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'BerthDriverListener');
      }
    }
  }

  private async awaitOwnExit(pid: number, startTime: string | undefined): Promise<ExitInfo | undefined> {
    const k = key(pid, startTime);
    const known = this.exits.get(k);
    if (known) return known;
    const own = this.children.get(k);
    if (!own) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(undefined), REAP_WAIT_MS);
    });
    try {
      return await Promise.race([own.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Whether signalling group `pid` reaches the machine of this handle. A live process with that
   * pid must have the handle's start time; if there is none, the kernel keeps a pid reserved
   * while a process group of that id has members, so whatever group is left is ours.
   */
  private isOurs(pid: number, handle: ProcessHandle): boolean {
    if (!this.procfs || handle.startTime === undefined) return true;
    const stat = readProcStat(pid);
    return stat === undefined || stat.startTime === handle.startTime;
  }

  /** A group is gone when kill(0) finds nobody, or everybody left in it is a zombie. */
  private groupAlive(pgid: number): boolean {
    try {
      process.kill(-pgid, 0);
    } catch (err) {
      if (errnoOf(err) === 'ESRCH') return false;
      if (errnoOf(err) === 'EPERM') return true;
      throw err;
    }
    return this.procfs ? liveGroupMembers(pgid).length > 0 : true;
  }

  private async waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.groupAlive(pgid)) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    }
  }

  private async refuseIfRunning(dir: string, machineId: string): Promise<void> {
    const record = await readHandleFile(join(dir, HANDLE_FILE));
    if (!record) return;
    const state = await this.inspect({
      driver: DRIVER_NAME,
      pid: record.pid,
      addresses: {},
      logPath: record.logPath,
      ...(record.startTime !== undefined ? { startTime: record.startTime } : {}),
    });
    if (state.state === 'running') {
      // Replacing its tree under a live process would corrupt it.
      throw new BerthError('internal', `machine ${machineId} is already running as pid ${record.pid}`, {
        hint: 'Stop the machine before starting it again.',
      });
    }
  }

  /** The handle as this driver's own; a stop or inspect never reaches a pid of 0 or 1. */
  private own(handle: MachineHandle): ProcessHandle {
    if (handle.driver !== DRIVER_NAME) {
      throw new BerthError('internal', `the process driver was given a ${handle.driver} machine`);
    }
    return handle;
  }

  private treeOf(prepared: PreparedRelease): string {
    if (prepared.driver !== DRIVER_NAME) {
      throw new BerthError(
        'internal',
        `the process driver was given a release prepared by ${prepared.driver}`,
      );
    }
    return prepared.dir;
  }

  private volumeDir(volumeId: string): string {
    if (!isVolumeId(volumeId))
      throw new BerthError('internal', `${JSON.stringify(volumeId)} is not a volume id`);
    return join(this.volumesDir, volumeId);
  }

  private machineDir(machineId: string): string {
    if (!MACHINE_ID.test(machineId) || machineId === '.' || machineId === '..') {
      throw new BerthError('internal', `machine id ${JSON.stringify(machineId)} cannot name a directory`);
    }
    return join(this.machinesDir, machineId);
  }

  /** The machine's directory, from its log path, and only if it really is one of ours. */
  private dirOfHandle(handle: ProcessHandle): string {
    const logPath = resolve(handle.logPath);
    const dir = dirname(logPath);
    if (basename(logPath) !== LOG_FILE || dirname(dir) !== this.machinesDir) {
      throw new BerthError('internal', `${handle.logPath} is not a machine log under ${this.machinesDir}`);
    }
    return this.machineDir(basename(dir));
  }
}

function key(pid: number, startTime: string | undefined): string {
  return `${pid}:${startTime ?? ''}`;
}

/** Accepts "SIGTERM", "sigterm" or "TERM"; refuses what the OS does not know. */
function signalName(name: string): NodeJS.Signals {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!(full in osConstants.signals)) {
    throw new BerthError('internal', `unknown signal ${JSON.stringify(name)}`, {
      hint: 'Use a signal name such as SIGINT or SIGTERM for kill_signal.',
    });
  }
  return full as NodeJS.Signals;
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (errnoOf(err) !== 'ESRCH') throw err;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if (errnoOf(err) !== 'ESRCH') throw err;
  }
}

/**
 * Once the leader has exited (and been reaped) the machine is over; like a container whose
 * main process ended, whatever it left running in its group is killed. A process now holding
 * the pid means the group is empty and the pid reused, so leave it alone.
 */
function killLeftovers(pgid: number): void {
  if (readProcStat(pgid) !== undefined) return;
  signalGroup(pgid, 'SIGKILL');
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

function errnoOf(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function once(child: ChildProcess, event: string): Promise<unknown[]> {
  return new Promise((resolveEvent) => child.once(event, (...args: unknown[]) => resolveEvent(args)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

async function readHandleFile(path: string): Promise<ProcessHandleFile | undefined> {
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as Partial<ProcessHandleFile> & {
      address?: unknown;
    };
    if (typeof record.pid !== 'number' || typeof record.logPath !== 'string') return undefined;
    // Written before handles had addresses by port: one address, keyed by its own port.
    const parsed = readHandle({ driver: DRIVER_NAME, ...record });
    return parsed ? ({ ...record, addresses: parsed.addresses } as ProcessHandleFile) : undefined;
  } catch {
    return undefined;
  }
}

/** Never 0 or 1: kill(-0) signals our own group and kill(-1) every process we may signal. */
function validPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 1;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function diskUsage(path: string): Promise<number> {
  let stats;
  try {
    stats = await lstat(path);
  } catch {
    return 0;
  }
  let total = stats.blocks * 512;
  if (stats.isDirectory()) {
    for (const entry of await readdir(path)) total += await diskUsage(join(path, entry));
  }
  return total;
}
