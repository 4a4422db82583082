// Keeps machines the way the store says they should be: launches them through the driver,
// restarts crashed ones with backoff, adopts survivors after a daemon restart, drains and
// stops retired ones, and tells the proxy which machines take traffic.
import { randomBytes } from 'node:crypto';
import { httpPortForGroup } from '../core/config/routing.js';
import { concurrencyForGroup } from '../core/config/concurrency.js';
import { restartDelayMs, shouldResetBackoff } from '../core/backoff.js';
import { BerthError } from '../core/errors.js';
import { machineEnv } from '../core/machine-env.js';
import type { MachineRunConfig } from '../core/machine-run-config.js';
import { isSupervised } from '../core/machine-state.js';
import type { Release } from '../core/model.js';
import type { Machine } from '../store/machines.js';
import {
  primaryAddress,
  type Driver,
  type ListeningPorts,
  type MachineHandle,
  type MachineMount,
  type MachineSpec,
} from '../drivers/driver.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { Store } from '../store/store.js';
import type { DaemonDrivers } from './drivers.js';
import { machinePorts } from '../core/machine-ports.js';
import { machineLimits } from '../core/config/vm.js';
import { noHook, type BeforeStep } from './rollout/step-hook.js';
import { canConnect, sleep } from './readiness.js';
import { asDaemon } from '../store/actor.js';
import { RELEASE_COMMAND_GROUP } from './rollout/release-command.js';
import { SCHEDULE_GROUP } from './schedules/run-machine.js';

interface RestartState {
  attempt: number;
  nextAt: number;
}

export function newMachineId(): string {
  return randomBytes(7).toString('hex');
}

export class MachineSupervisor {
  /** Machines that have answered on their port (or have no port): the proxy may use them. */
  private readonly ready = new Set<string>();
  private readonly restarts = new Map<string, RestartState>();
  /**
   * Machines whose end a caller in this daemon awaits (`berth run`): it reads their exit and
   * last output, then retires them. A later daemon knows none: it destroys them on exit (--rm).
   */
  private readonly attended = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /**
   * Set by the daemon: the app's decrypted secrets, added to a machine's environment only at
   * the moment it starts (never stored with the machine, never logged).
   */
  secretEnv: (app: string) => Record<string, string> = () => ({});
  /** Set by the daemon: opens a machine's sealed `machine run -e` values as it starts. */
  openRunEnv: (app: string, sealed: Record<string, string>) => Record<string, string> = (_, env) => env;
  /**
   * Set by the daemon: the volumes a machine sees, attached (or created) on every start, so
   * every launcher (deploys, scaling, restarts) gives a machine of a group with [mounts] its
   * own volume.
   */
  volumeMounts: (machine: Machine, release: Release, driver: Driver) => Promise<MachineMount[]> =
    async () => [];
  /**
   * Set by the daemon: the machine's driver started it again elsewhere (swarm: its node was
   * lost), so what the proxy has in flight to its old address will never be answered.
   */
  onUnreachable: ((machineId: string, oldAddress: string | null) => void) | undefined;
  /** Set by the daemon: closes what the proxy still holds open to a machine at its drain deadline. */
  onDrainDeadline: ((machineId: string) => void) | undefined;
  /**
   * Set by the daemon: copies the rest of a stopped machine's output into the kept logs before
   * its driver removes it (a container's output goes with the container).
   */
  beforeDestroy: (machineId: string) => Promise<void> = async () => undefined;
  /** Set by the daemon: a machine's last kept lines, which outlive the machine. */
  keptLogLines: ((machine: Machine, count: number) => string[]) | undefined;
  /** Tests only: runs before each named step (see rollout/step-hook.ts). */
  beforeStep: BeforeStep = noHook;
  private ticking = false;

  constructor(
    private readonly store: Store,
    private readonly drivers: DaemonDrivers,
    private readonly routes: RouteTable,
  ) {
    for (const driver of drivers.all()) {
      driver.onExit((machineId) => {
        // React at once instead of at the next poll.
        void this.tick(machineId);
      });
    }
  }

  /** The driver of a machine: its handle's, or its release's before it first started. */
  driverOf(machine: Machine): Driver {
    if (machine.handle) return this.drivers.forHandle(machine.handle);
    const release = this.store.releases.get(machine.app, machine.releaseVersion);
    return this.drivers.require(release?.driver ?? 'process');
  }

  /** What the machine's output last said, through its driver. */
  async recentLogLines(machineId: string, count = 15): Promise<string[]> {
    const machine = this.store.machines.get(machineId);
    if (!machine) return [];
    // The driver's own copy is the freshest; a machine gone (or its copy emptied) has the kept one.
    let lines: string[] = [];
    if (machine.handle && machine.state !== 'destroyed') {
      lines = await this.drivers
        .forHandle(machine.handle)
        .tailLogs(machine.handle, count)
        .catch(() => []);
    }
    return lines.length > 0 ? lines : (this.keptLogLines?.(machine, count) ?? []);
  }

  /** Adopts machines left by an earlier daemon, then supervises every second. */
  async start(): Promise<void> {
    for (const app of this.store.apps.list()) this.routes.setBackends(app.name, []);
    for (const machine of this.store.machines.listLive()) {
      try {
        await this.adopt(machine);
      } catch (err) {
        // A machine whose driver is gone (Docker stopped) must not keep the daemon from starting.
        this.store.events.append({
          app: machine.app,
          releaseVersion: machine.releaseVersion,
          machineId: machine.id,
          kind: 'machine.adopt_failed',
          message: `machine ${machine.id} could not be adopted: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    for (const app of this.store.apps.list()) this.syncRoutes(app.name);
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async adopt(machine: Machine): Promise<void> {
    let handle = machine.handle;
    if (!handle && machine.state === 'starting') {
      // The daemon died between starting this machine and recording it.
      handle = (await this.driverOf(machine).recover(machine.id)) ?? null;
      if (handle) this.recordStart(machine, handle);
      else if (this.startsAgainAfterRestart(machine)) {
        // Nothing ever ran: start it now, so a scale-up or a wake does not end a machine short.
        // It stays "starting" and unrouted; finishUnfinishedStarts serves it once healthy.
        await this.startMachine(machine.id);
        this.store.events.append({
          app: machine.app,
          releaseVersion: machine.releaseVersion,
          machineId: machine.id,
          kind: 'machine.recovered',
          message: `machine ${machine.id} (${machine.processGroup}) had not started when the daemon stopped; started it again`,
        });
        return;
      } else this.store.machines.setState(machine.id, 'destroyed');
    }
    if (machine.state === 'stopping' && handle) {
      await this.finishStop(machine, handle);
      return;
    }
    if (!isSupervised(machine.state) || !handle) return;
    const driver = this.drivers.forHandle(handle);
    const observed = await driver.inspect(handle);
    if (observed.state === 'running') {
      if (observed.moved) this.movedByDriver(machine, observed.moved);
      if (observed.stranded) {
        this.strand(machine, observed.stranded);
        return;
      }
      this.store.events.append({
        app: machine.app,
        releaseVersion: machine.releaseVersion,
        machineId: machine.id,
        kind: 'machine.adopted',
        message: `machine ${machine.id} adopted (${driver.describe?.(handle) ?? `${driver.name} driver`}), still running`,
      });
      if (await this.answers(machine)) this.ready.add(machine.id);
    }
    // A dead machine is restarted by the first tick.
  }

  /**
   * A machine the daemon recorded as starting but never ran is started again when it belongs to
   * the app's current release outside a deployment (a scale-up, a clone, a wake): the app asked
   * for it. A resumed deployment decides about its own machines; one-off machines are not rerun.
   */
  private startsAgainAfterRestart(machine: Machine): boolean {
    return (
      machine.managed &&
      this.store.apps.get(machine.app)?.currentRelease === machine.releaseVersion &&
      this.store.deployments.running(machine.app) === undefined
    );
  }

  /** Creates a machine row for a release and launches it; not routed until serve(). */
  async launch(
    release: Release,
    processGroup: string,
    command: string,
    managed = true,
    extraEnv: Record<string, string> = {},
    own: { name?: string | null; runConfig?: MachineRunConfig | null } = {},
  ): Promise<Machine> {
    const id = newMachineId();
    this.store.machines.create({
      id,
      app: release.app,
      releaseVersion: release.version,
      processGroup,
      command,
      managed,
      name: own.name ?? null,
      runConfig: own.runConfig ?? null,
    });
    this.store.machines.setState(id, 'starting');
    await this.beforeStep('launch');
    const machine = this.store.machines.get(id)!;
    const driver = this.drivers.forRelease(release);
    let handle: MachineHandle;
    let spec: MachineSpec;
    try {
      spec = await this.specFor(machine, release, driver);
      Object.assign(spec.env, extraEnv);
      handle = await driver.start(spec);
    } catch (err) {
      await this.abandonStart(machine, driver, err);
      throw err;
    }
    this.recordPlacement(spec, handle, driver);
    const address = this.recordStart(machine, handle);
    this.store.events.append({
      app: release.app,
      releaseVersion: release.version,
      machineId: id,
      kind: 'machine.started',
      message: `machine ${id} (${processGroup}) started${address ? ` on ${address}` : ''}`,
    });
    return this.store.machines.get(id)!;
  }

  /**
   * A machine whose first start failed (its node was lost while Swarm placed it, its image
   * could not be pulled): whatever the driver left of it is removed, and its row ends, so no
   * caller counts it and no service outlives it.
   */
  private async abandonStart(machine: Machine, driver: Driver, err: unknown): Promise<void> {
    try {
      const left = await driver.recover(machine.id);
      if (left) {
        await driver.stop(left, { signal: 'SIGKILL', timeoutMs: 0 });
        await driver.destroy(left);
      }
    } catch {
      // The start's own error says more; a later daemon's adoption finds what is left.
      return;
    }
    const why = err instanceof Error ? err.message : String(err);
    this.store.machines.setState(machine.id, 'failed', { lastExit: `could not start: ${why}` });
    this.store.machines.setState(machine.id, 'destroyed');
  }

  /**
   * isAlive for a machine a deploy waits on (started, not yet supervised), which its driver may
   * start again elsewhere meanwhile (swarm: its node was lost): then its new handle and address
   * are recorded, and it is `moved`.
   */
  async aliveOrMoved(machineId: string): Promise<'alive' | 'moved' | 'dead'> {
    const machine = this.store.machines.get(machineId);
    const handle = machine?.handle;
    if (!machine || !handle) return 'dead';
    const observed = await this.drivers.forHandle(handle).inspect(handle);
    if (observed.state !== 'running' || observed.stranded) return 'dead';
    if (!observed.moved || machine.state !== 'starting') return 'alive';
    this.movedByDriver(machine, observed.moved);
    return 'moved';
  }

  /**
   * Changes which machines the proxy routes to, in one step. Added machines become supervised
   * (restarted if they crash); the proxy sees the whole change at once.
   */
  serve(app: string, add: string[], remove: string[]): void {
    this.store.machines.setServing(add, remove);
    for (const id of add) {
      this.ready.add(id);
      this.store.machines.setState(id, 'started');
    }
    this.syncRoutes(app);
  }

  async isAlive(machineId: string): Promise<boolean> {
    const handle = this.store.machines.get(machineId)?.handle;
    if (!handle) return false;
    const observed = await this.drivers.forHandle(handle).inspect(handle);
    return observed.state === 'running' && !observed.stranded;
  }

  /** Where the machine listens, from its driver, when the driver can tell. */
  async listeningPorts(machineId: string): Promise<ListeningPorts | undefined> {
    const handle = this.store.machines.get(machineId)?.handle;
    return handle ? this.drivers.forHandle(handle).listeningPorts?.(handle) : undefined;
  }

  /**
   * The driver restarted the machine or moved it to another node itself (swarm): its new
   * handle and address are recorded, and the proxy leaves it until it answers there.
   */
  private movedByDriver(machine: Machine, moved: { handle: MachineHandle; why: string }): void {
    const address = this.recordStart(machine, moved.handle);
    this.ready.delete(machine.id);
    this.syncRoutes(machine.app);
    // Out of the proxy first, so that what was in flight to it goes to another machine.
    if (machine.address !== null && machine.address !== address)
      this.onUnreachable?.(machine.id, machine.address);
    this.store.events.append({
      app: machine.app,
      releaseVersion: machine.releaseVersion,
      machineId: machine.id,
      kind: 'machine.moved',
      message: `machine ${machine.id} (${machine.processGroup}) ${moved.why}${address ? `; now at ${address}` : ''}`,
      data: { address },
    });
  }

  /**
   * The node a machine was first placed on holds its volumes from then on (swarm): recorded
   * with each volume, so every later start of a machine mounting one is pinned there.
   */
  private recordPlacement(spec: MachineSpec, handle: MachineHandle, driver: Driver): void {
    const node = driver.nodeOf?.(handle);
    if (!node) return;
    for (const mount of spec.mounts ?? []) {
      if (mount.node === undefined) this.store.volumes.placeOn(mount.volumeId, node);
    }
  }

  /**
   * The node that holds the machine's volume is lost: the machine is out of the proxy and
   * reported, and stays where its data is (the driver places it nowhere else) until the node
   * comes back or the machine is destroyed.
   */
  private strand(machine: Machine, why: string): void {
    this.ready.delete(machine.id);
    this.syncRoutes(machine.app);
    if (machine.state === 'stranded') return;
    this.store.machines.setState(machine.id, 'stranded', { lastExit: why });
    this.store.events.append({
      app: machine.app,
      releaseVersion: machine.releaseVersion,
      machineId: machine.id,
      kind: 'machine.stranded',
      message: `machine ${machine.id} (${machine.processGroup}) is stranded: ${why}; it stays pinned to its volume and is not recreated elsewhere`,
    });
  }

  /**
   * Records a (re)start and the address the proxy reaches: the handle's for the HTTP port. A
   * machine that serves no port (a worker) has none, whatever the driver set up for it.
   */
  private recordStart(machine: Machine, handle: MachineHandle): string | null {
    const release = this.store.releases.get(machine.app, machine.releaseVersion);
    const port = release ? machinePorts(machine, release)[0] : undefined;
    const address = port === undefined ? null : (primaryAddress(handle, port) ?? null);
    this.store.machines.recordStart(machine.id, handle, address);
    return address;
  }

  /**
   * Stops a machine but keeps it (state "stopped", its directory and handle stay): drained
   * first when asked. A stopped machine is not supervised; startMachine brings it back.
   */
  async stopMachine(machineId: string, options: { drain: boolean } = { drain: true }): Promise<void> {
    const machine = this.store.machines.get(machineId);
    if (!machine || !isSupervised(machine.state)) return;
    await this.takeOut(machine, options.drain);
    const handle = machine.handle;
    if (handle) await this.drivers.forHandle(handle).stop(handle, this.stopOptions(machine));
    this.store.machines.setState(machineId, 'stopped');
    this.store.events.append({
      app: machine.app,
      machineId,
      kind: 'machine.stopped',
      message: `machine ${machineId} (${machine.processGroup}) stopped`,
    });
  }

  /**
   * Starts a stopped machine on its release again. It is supervised but not routed: the
   * caller waits for its health, then serves it.
   */
  async startMachine(machineId: string): Promise<Machine> {
    const machine = this.store.machines.get(machineId);
    if (!machine) throw new BerthError('machine_not_found', `machine ${machineId} does not exist`);
    const release = this.store.releases.get(machine.app, machine.releaseVersion)!;
    this.store.machines.setState(machineId, 'starting');
    // Its release's driver: a machine moved in place to a release on another driver moves with it.
    const driver = this.drivers.forRelease(release);
    const spec = await this.specFor(machine, release, driver);
    const handle = await driver.start(spec);
    this.recordPlacement(spec, handle, driver);
    const address = this.recordStart(machine, handle);
    this.store.events.append({
      app: machine.app,
      machineId,
      kind: 'machine.started',
      message: `machine ${machineId} (${machine.processGroup}) started${address ? ` on ${address}` : ''}`,
    });
    return this.store.machines.get(machineId)!;
  }

  /**
   * Moves a machine to another release in place, keeping its id and its volumes: drained,
   * stopped, moved, started again (supervised, not routed: the caller waits for its health).
   * Safe to repeat after a crash at any point: whatever process the machine has is stopped
   * first. Undefined when the machine no longer exists.
   */
  async replaceInPlace(machineId: string, release: Release, command: string): Promise<Machine | undefined> {
    const machine = this.store.machines.get(machineId);
    if (!machine || machine.state === 'destroyed') return undefined;
    await this.takeOut(machine, true);
    // The recorded handle, and the one on disk if a start was cut short before it was recorded.
    const driver = this.driverOf(machine);
    const handles = [machine.handle, await driver.recover(machineId)];
    for (const handle of handles) {
      if (handle) await this.drivers.forHandle(handle).stop(handle, this.stopOptions(machine));
    }
    await this.beforeStep('replace-in-place:stopped');
    this.store.machines.moveToRelease(machineId, release.version, command);
    this.store.events.append({
      app: machine.app,
      releaseVersion: release.version,
      machineId,
      kind: 'machine.stopped',
      message: `machine ${machineId} (${machine.processGroup}) stopped to move from v${machine.releaseVersion} to v${release.version} in place`,
    });
    return this.startMachine(machineId);
  }

  /** Out of the proxy, then wait for in-flight requests (up to kill_timeout) when draining. */
  private async takeOut(machine: Machine, drain: boolean): Promise<void> {
    this.store.machines.setState(machine.id, 'stopping');
    this.store.machines.setServing([], [machine.id]);
    this.ready.delete(machine.id);
    this.restarts.delete(machine.id);
    this.syncRoutes(machine.app);
    const drainDeadline = Date.now() + this.stopOptions(machine).timeoutMs;
    while (drain && this.routes.inFlight(machine.id) > 0 && Date.now() < drainDeadline) await sleep(50);
    // Long-lived connections (WebSockets) end at the deadline, not whenever the process dies.
    if (this.routes.inFlight(machine.id) > 0) this.onDrainDeadline?.(machine.id);
  }

  private stopOptions(machine: Machine): { signal: string; timeoutMs: number } {
    const release = this.store.releases.get(machine.app, machine.releaseVersion);
    return {
      signal: release?.config.killSignal ?? 'SIGTERM',
      timeoutMs: release?.config.killTimeoutMs ?? 5000,
    };
  }

  /**
   * Takes a machine out of the proxy, lets in-flight requests finish (up to kill_timeout),
   * then stops it with its kill signal and removes what it left behind.
   */
  async retire(machineId: string, options: { drain: boolean } = { drain: true }): Promise<void> {
    const machine = this.store.machines.get(machineId);
    if (!machine || machine.state === 'destroyed') return;
    await this.takeOut(machine, options.drain);
    const handle = machine.handle;
    if (!handle) {
      this.store.machines.setState(machineId, 'destroyed');
      return;
    }
    await this.finishStop(machine, handle);
  }

  private async finishStop(machine: Machine, handle: MachineHandle): Promise<void> {
    const driver = this.drivers.forHandle(handle);
    await driver.stop(handle, this.stopOptions(machine));
    await this.beforeDestroy(machine.id);
    await driver.destroy(handle);
    this.store.machines.setState(machine.id, 'destroyed');
    // An app-level event: a deploy's own output says when it retires a machine.
    this.store.events.append({
      app: machine.app,
      machineId: machine.id,
      kind: 'machine.destroyed',
      message: `machine ${machine.id} (${machine.processGroup}) stopped and destroyed`,
    });
  }

  /** Publishes the app's ready, started machines that serve HTTP to the proxy. */
  syncRoutes(app: string): void {
    const backends = [];
    for (const m of this.store.machines.listByApp(app)) {
      if (!m.serving || m.state !== 'started' || !this.ready.has(m.id) || !m.address) continue;
      const release = this.store.releases.get(app, m.releaseVersion);
      if (!release || httpPortForGroup(release.config, m.processGroup) === undefined) continue;
      const hardLimit = concurrencyForGroup(release.config, m.processGroup)?.hardLimit;
      backends.push({
        machineId: m.id,
        address: m.address,
        releaseVersion: m.releaseVersion,
        ...(hardLimit !== undefined && { hardLimit }),
      });
    }
    this.routes.setBackends(app, backends);
  }

  /** One supervision round: notice exits, restart with backoff, mark restarted ones ready. */
  private tick(onlyMachineId?: string): Promise<void> {
    // Restarts are the daemon's own doing, even when a deploy's machine exit woke the tick.
    return asDaemon(() => this.superviseAll(onlyMachineId));
  }

  private async superviseAll(onlyMachineId?: string): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const machines = onlyMachineId
        ? [this.store.machines.get(onlyMachineId)].filter((m): m is Machine => !!m)
        : this.store.machines.listLive();
      for (const machine of machines) {
        if (machine.state !== 'started' && machine.state !== 'restarting' && machine.state !== 'stranded')
          continue;
        try {
          await this.supervise(machine);
        } catch (err) {
          // One machine that cannot be restarted (its tree cannot be copied, its secrets cannot
          // be opened) must not stop the daemon or the supervision of the others.
          this.supervisionFailed(machine, err);
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  /** Backs off like a crash and says why, once per attempt. */
  private supervisionFailed(machine: Machine, err: unknown): void {
    const attempt = (this.restarts.get(machine.id)?.attempt ?? 0) + 1;
    const delay = restartDelayMs(attempt);
    this.restarts.set(machine.id, { attempt, nextAt: Date.now() + delay });
    const why = err instanceof Error ? err.message : String(err);
    this.store.events.append({
      app: machine.app,
      releaseVersion: machine.releaseVersion,
      machineId: machine.id,
      kind: 'machine.restart_failed',
      message: `machine ${machine.id} (${machine.processGroup}) could not be restarted: ${why}; trying again in ${delay} ms (attempt ${attempt})`,
      data: { attempt, delayMs: delay },
    });
  }

  /** Leaves the machine's exit to the caller until unattend(); see `attended`. */
  attend(machineId: string): void {
    this.attended.add(machineId);
  }

  unattend(machineId: string): void {
    this.attended.delete(machineId);
  }

  private async supervise(machine: Machine): Promise<void> {
    const handle = machine.handle;
    if (!handle || this.attended.has(machine.id)) return;
    const observed = await this.drivers.forHandle(handle).inspect(handle);
    // The machine was read before the inspect, which can outlast a stop begun meanwhile (the
    // Engine answers it once the container is down): that stop owns the machine now, and its
    // exit is no crash to restart.
    if (this.store.machines.get(machine.id)?.state !== machine.state) return;
    const now = Date.now();
    if (observed.state === 'running') {
      if (observed.moved) this.movedByDriver(machine, observed.moved);
      if (observed.stranded) return this.strand(machine, observed.stranded);
      if (!this.ready.has(machine.id) && (await this.answers(machine))) {
        this.ready.add(machine.id);
        this.store.machines.setState(machine.id, 'started');
        this.syncRoutes(machine.app);
        if (machine.state === 'stranded') {
          this.store.events.append({
            app: machine.app,
            releaseVersion: machine.releaseVersion,
            machineId: machine.id,
            kind: 'machine.recovered',
            message: `machine ${machine.id} (${machine.processGroup}) runs again on the node that holds its volume`,
          });
        }
      }
      const upMs = machine.startedAt ? now - Date.parse(machine.startedAt) : 0;
      if (shouldResetBackoff(upMs)) this.restarts.delete(machine.id);
      return;
    }
    if (machine.runConfig?.autoDestroy) {
      // `machine run --rm`: its exit is the end of it, not a crash to restart.
      this.store.events.append({
        app: machine.app,
        machineId: machine.id,
        kind: 'machine.exited',
        message: `machine ${machine.id} exited (${describeExit(observed)}); destroying it (--rm)`,
        ...(observed.state === 'exited' && {
          data: { exitCode: observed.exitCode, signal: observed.signal },
        }),
      });
      await this.retire(machine.id, { drain: false });
      return;
    }
    let restart = this.restarts.get(machine.id);
    if (machine.state === 'started') {
      const exit = describeExit(observed);
      this.ready.delete(machine.id);
      this.store.machines.setState(machine.id, 'restarting', { lastExit: exit });
      this.syncRoutes(machine.app);
      const attempt = (restart?.attempt ?? 0) + 1;
      const delay = restartDelayMs(attempt);
      restart = { attempt, nextAt: now + delay };
      this.restarts.set(machine.id, restart);
      this.store.events.append({
        app: machine.app,
        releaseVersion: machine.releaseVersion,
        machineId: machine.id,
        kind: 'machine.exited',
        message: `machine ${machine.id} (${machine.processGroup}) exited (${exit}); restarting in ${delay} ms (attempt ${attempt})`,
        data: { exit, attempt, delayMs: delay },
      });
      return;
    }
    if (!restart) {
      restart = { attempt: 1, nextAt: now };
      this.restarts.set(machine.id, restart);
    }
    if (now < restart.nextAt) return;
    await this.restart(machine);
  }

  private async restart(machine: Machine): Promise<void> {
    const release = this.store.releases.get(machine.app, machine.releaseVersion);
    if (!release) return;
    const previous = machine.handle;
    // The main process is gone, but what it started may not be.
    if (previous) await this.drivers.forHandle(previous).stop(previous, { signal: 'SIGKILL', timeoutMs: 0 });
    const driver = this.drivers.forRelease(release);
    const spec = await this.specFor(machine, release, driver);
    const handle = await driver.start(spec);
    this.recordPlacement(spec, handle, driver);
    const address = this.recordStart(machine, handle);
    this.store.machines.incrementRestarts(machine.id);
    this.store.machines.setState(machine.id, 'started');
    this.store.events.append({
      app: machine.app,
      releaseVersion: machine.releaseVersion,
      machineId: machine.id,
      kind: 'machine.restarted',
      message: `machine ${machine.id} (${machine.processGroup}) restarted${address ? ` on ${address}` : ''}`,
    });
  }

  /** The address to probe for readiness: only machines whose group serves HTTP have one. */
  probeAddress(machine: Machine): string | null {
    const release = this.store.releases.get(machine.app, machine.releaseVersion);
    if (!release || httpPortForGroup(release.config, machine.processGroup) === undefined) return null;
    return this.store.machines.get(machine.id)?.address ?? null;
  }

  private async answers(machine: Machine): Promise<boolean> {
    const address = this.probeAddress(machine);
    return address === null || (await canConnect(address));
  }

  private runEnv(machine: Machine): Record<string, string> {
    const config = machine.runConfig;
    if (!config) return {};
    return config.envSealed ? this.openRunEnv(machine.app, config.env) : config.env;
  }

  async specFor(machine: Machine, release: Release, driver: Driver): Promise<MachineSpec> {
    const prepared = machine.runConfig?.prepared ?? release.prepared;
    if (!prepared || prepared.driver !== driver.name) {
      throw new BerthError(
        'release_not_found',
        `release v${release.version} of app "${release.app}" has no form the ${driver.name} driver can run`,
        { hint: `Deploy the app again with \`berth deploy -a ${release.app}\`.` },
      );
    }
    const limits = machineLimits(release.config.vm, machine.processGroup);
    return {
      machineId: machine.id,
      app: machine.app,
      releaseVersion: machine.releaseVersion,
      processGroup: machine.processGroup,
      command: machine.command,
      env: machineEnv({
        configEnv: {
          ...release.config.env,
          ...this.secretEnv(machine.app),
          ...this.runEnv(machine),
        },
        app: machine.app,
        releaseVersion: release.version,
        machineId: machine.id,
        processGroup: machine.processGroup,
      }),
      ports: machinePorts(machine, release),
      prepared,
      killSignal: release.config.killSignal,
      killTimeoutMs: release.config.killTimeoutMs,
      ...(limits && { limits }),
      mounts: await this.volumeMounts(machine, release, driver),
      ...(release.config.deploy.placement && { placement: release.config.deploy.placement }),
      ...(release.config.primaryRegion && { primaryRegion: release.config.primaryRegion }),
      ...(runsOnce(machine) && { once: true }),
      ...(runsOnce(machine) && machine.runConfig?.port != null && { servesOnce: true }),
    };
  }
}

/** Machines whose command runs to its end and is never restarted (MachineSpec.once). */
function runsOnce(machine: Machine): boolean {
  if (machine.managed) return false;
  return (
    machine.processGroup === RELEASE_COMMAND_GROUP ||
    machine.processGroup === SCHEDULE_GROUP ||
    machine.runConfig?.autoDestroy === true
  );
}

export function describeExit(observed: {
  state: string;
  exitCode?: number | null;
  signal?: string | null;
  lost?: string;
}): string {
  if (observed.state !== 'exited') return 'process gone';
  if (observed.lost) return observed.lost;
  if (observed.signal) return `killed by ${observed.signal}`;
  // The driver could not tell how it ended (a machine adopted from an earlier daemon, say).
  return observed.exitCode === null || observed.exitCode === undefined
    ? 'exit status unknown'
    : `exit code ${observed.exitCode}`;
}
