// The Swarm driver: a release is an image in the swarm's registry, a machine is one Swarm
// service of one replica (service-spec.ts), spread over the nodes, restarted by Swarm when it
// exits and placed again when its node is lost. Its ports are published in host mode on ports
// berth chose, and the proxy and health checks reach it at its node's address. berth keeps its
// own releases, strategies and drains: each machine is its own service, never updated in place.
// The daemon runs beside a manager, whose Engine DOCKER_HOST names.
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.js';
import { pickNode } from '../../core/node-labels.js';
import { resolvePlacement, type PlacementNode } from '../../core/placement.js';
import { DEFAULT_PROCESS_GROUP, type AppConfig } from '../../core/config/types.js';
import type {
  Driver,
  DriverNode,
  Isolation,
  MachineHandle,
  MachineSpec,
  MountCapability,
  ObservedState,
  PreparedRelease,
  ExecSession,
  FollowOptions,
  LineInfo,
  PrepareRequest,
  SwarmHandle,
} from '../driver.js';
import { followContainerLogs, tailContainerLogs } from '../docker/container-logs.js';
import { connectEngine, engineError, engineMessage, engineStatus, unlessGone } from '../docker/engine.js';
import { LABEL, homeId, volumeName } from '../docker/names.js';
import { signalName } from '../docker/signals.js';
import { choosePorts, PUBLISHED_PORT_RANGE } from './published-ports.js';
import { addressFacing, checkRegistryPort, ensureOwnRegistry, registryHas } from './registry.js';
import { DEFAULT_REGISTRY_PORT } from '../../core/drivers.js';
import { prepareSwarmImage } from './release-image.js';
import { pinnedNode, placement, serviceSpec } from './service-spec.js';
import {
  nodeAddress,
  nodeName,
  observeOnce,
  observeTasks,
  rejection,
  taskFate,
  type NodeJson,
  type TaskJson,
} from './tasks.js';

export interface SwarmDriverOptions {
  home: string;
  /** The manager's Engine. */
  dockerHost: string;
  /** `berth server --registry HOST:PORT`; else berth runs one on this host. */
  registry?: string;
  /** `berth server --registry-port N`: the port of berth's own registry (default 5000). */
  registryPort?: number;
  log: (line: string) => void;
}

const MACHINE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const POLL_MS = 200;
/** Placing a task, pulling its image on a node and starting it. */
const START_TIMEOUT_MS = 300_000;
const SERVICE_NAME_MAX = 63;
/** Lines in flight from the node when the task ended; the catch-up read brings any later one. */
const ENDED_DRAIN_MS = 500;

export async function createSwarmDriver(options: SwarmDriverOptions): Promise<SwarmDriver> {
  const docker = connectEngine(options.dockerHost);
  let info: {
    NCPU?: number;
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeAddr?: string };
  };
  try {
    info = await docker.info();
  } catch (err) {
    throw new BerthError(
      'docker_engine_error',
      `the Docker Engine at ${options.dockerHost} does not answer: ${engineMessage(err)}`,
    );
  }
  const swarm = info.Swarm;
  if (swarm?.LocalNodeState !== 'active' || !swarm.ControlAvailable || !swarm.NodeAddr) {
    throw new BerthError(
      'driver_unavailable',
      `the Docker Engine at ${options.dockerHost} is not a swarm manager (swarm: ${swarm?.LocalNodeState ?? 'unknown'})`,
      {
        hint: 'Run `docker swarm init` on this host (or point DOCKER_HOST at a manager), join the other hosts with `docker swarm join`, then restart `berth server`.',
      },
    );
  }
  const nodeAddr = swarm.NodeAddr;
  const registryPort = options.registryPort ?? DEFAULT_REGISTRY_PORT;
  // Another process on berth's registry port refuses the start, naming the port and the flag.
  if (!options.registry) await checkRegistryPort(await addressFacing(nodeAddr), registryPort);
  // berth's own registry starts with the first release that needs it, or now when an earlier
  // daemon of this home ran one (machines it placed may have to be pulled again on another node).
  const registry = options.registry
    ? { name: options.registry, ready: async () => options.registry! }
    : {
        name: undefined,
        ready: async () =>
          ensureOwnRegistry({
            home: options.home,
            address: await addressFacing(nodeAddr),
            port: registryPort,
            log: options.log,
          }),
      };
  const driver = new SwarmDriver(docker, { home: options.home, registry: registry.ready, cpus: info.NCPU });
  if (!options.registry && existsSync(join(options.home, 'registry', 'config.yml')))
    await driver.registryAddress();
  return driver;
}

export class SwarmDriver implements Driver {
  readonly name = 'swarm' as const;
  readonly appliesLimits = true;
  private readonly home: string;
  private readonly startRegistry: () => Promise<string>;
  private registry: Promise<string> | undefined;
  private readonly hostCpus: number | undefined;
  /** Ports handed out by this daemon and not yet seen in a service (two starts at once). */
  private readonly reserved = new Set<number>();

  constructor(
    private readonly docker: Docker,
    options: { home: string; registry: () => Promise<string>; cpus?: number | undefined },
  ) {
    this.home = homeId(options.home);
    this.startRegistry = options.registry;
    this.hostCpus = options.cpus;
  }

  /** HOST:PORT of the registry the nodes pull from (berth's own is started on first use). */
  registryAddress(): Promise<string> {
    this.registry ??= this.startRegistry().catch((err: unknown) => {
      this.registry = undefined;
      throw err;
    });
    return this.registry;
  }

  async prepareRelease(request: PrepareRequest): Promise<PreparedRelease> {
    return prepareSwarmImage(this.docker, this.home, await this.registryAddress(), request);
  }

  async releaseAvailable(prepared: PreparedRelease): Promise<boolean> {
    if (prepared.driver !== 'swarm') return false;
    const match = /^([^/]+)\/(.+):v\d+@(sha256:[0-9a-f]{64})$/.exec(prepared.image);
    if (!match) return false;
    // berth's own registry, when it is the one, must be running to be asked.
    await this.registryAddress().catch(() => undefined);
    try {
      return await registryHas(match[1]!, match[2]!, match[3]!);
    } catch {
      return false;
    }
  }

  async defaultCommands(config: AppConfig, _prepared: PreparedRelease): Promise<Record<string, string>> {
    return Object.keys(config.processes).length > 0
      ? { ...config.processes }
      : { [DEFAULT_PROCESS_GROUP]: '' };
  }

  async start(spec: MachineSpec): Promise<MachineHandle> {
    if (spec.prepared.driver !== 'swarm') {
      throw new BerthError('internal', `the swarm driver was given a ${spec.prepared.driver} release`);
    }
    if (!MACHINE_ID.test(spec.machineId)) {
      throw new BerthError('internal', `machine id ${JSON.stringify(spec.machineId)} cannot name a service`);
    }
    const pinned = pinnedNode(placement(spec.mounts ?? [], []).Constraints);
    if (pinned !== undefined) await this.requireLive(pinned, spec.machineId);
    const name = this.serviceName(spec.app, spec.machineId);
    await this.removeService(name);
    // A one-off serves nothing (a release command, berth run): it takes no port on any node,
    // unless it was given one to serve (machine run --rm --port).
    const serves = spec.once && !spec.servesOnce ? [] : spec.ports;
    const ports = await this.allocatePorts(serves.length);
    const published = Object.fromEntries(serves.map((port, i) => [String(port), ports[i]!]));
    let serviceId: string;
    try {
      const created = (await this.docker.createService(
        serviceSpec(
          { ...spec, killSignal: signalName(spec.killSignal) },
          {
            home: this.home,
            name,
            image: spec.prepared.image,
            published,
            hostCpus: this.hostCpus,
            constraints: await this.constraintsFor(spec),
          },
        ),
      )) as unknown as { id?: string; ID?: string };
      serviceId = created.id ?? created.ID ?? '';
    } catch (err) {
      throw engineError(`creating the service of machine ${spec.machineId}`, err);
    } finally {
      for (const port of ports) this.reserved.delete(port);
    }
    return this.waitPlaced({ serviceId, serviceName: name, published }, spec.machineId);
  }

  async stop(handle: MachineHandle, options: { signal: string; timeoutMs: number }): Promise<void> {
    const swarm = this.handleOf(handle);
    const service = this.docker.getService(swarm.serviceId);
    let info: Docker.Service | undefined;
    try {
      info = await unlessGone(() => service.inspect() as Promise<Docker.Service>);
      if (!info) return;
      // No replica: Swarm stops the task with the service's stop signal and grace period (the
      // machine's kill_signal and kill_timeout), and restarts nothing.
      if (info.Spec?.Mode?.Replicated?.Replicas !== 0) {
        await service.update({
          version: info.Version?.Index,
          ...info.Spec,
          Mode: { Replicated: { Replicas: 0 } },
        });
      }
    } catch (err) {
      throw engineError(`stopping service ${swarm.serviceName}`, err);
    }
    const deadline = Date.now() + Math.max(0, options.timeoutMs) + START_TIMEOUT_MS / 10;
    for (;;) {
      // A task on a lost node reports its last state forever: nothing there is left to stop.
      const lost = await this.lostNodes();
      const tasks = (await this.tasksOf(swarm.serviceId)).filter((t) => !lost.has(t.NodeID ?? ''));
      if (
        !tasks.some((t) =>
          ['running', 'starting', 'preparing', 'accepted', 'assigned', 'pending', 'ready'].includes(
            t.Status?.State ?? '',
          ),
        )
      ) {
        return;
      }
      if (Date.now() > deadline) {
        throw new BerthError(
          'docker_engine_error',
          `service ${swarm.serviceName} still has a running task after its stop`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  async inspect(handle: MachineHandle): Promise<ObservedState> {
    const swarm = this.handleOf(handle);
    const info = await this.serviceInfo(swarm.serviceId);
    if (!info || info.Spec?.Labels?.[LABEL.home] !== this.home) return { state: 'missing' };
    const tasks = await this.tasksOf(swarm.serviceId);
    const replicas = info.Spec?.Mode?.Replicated?.Replicas ?? 1;
    if (replicas > 0 && info.Spec?.TaskTemplate?.RestartPolicy?.Condition === 'none') {
      // A one-off: its task's exit is the machine's, never followed by another.
      const once = observeOnce(tasks, await this.lostNodeNames());
      if (once.kind !== 'exited') return { state: 'running' };
      return {
        state: 'exited',
        exitCode: once.exitCode,
        signal: null,
        ...(once.lost && { lost: `${once.why} while it ran: its exit is unknown` }),
      };
    }
    const seen = observeTasks(tasks, replicas);
    if (seen.kind === 'stopped') return { state: 'exited', exitCode: seen.exitCode, signal: null };
    if (seen.kind === 'starting') {
      const stranded = await this.strandedBy(info);
      const strandedField = stranded !== undefined ? { stranded } : {};
      if (swarm.taskId === '') return { state: 'running', ...strandedField };
      // Between two tasks: no address until the next one runs.
      const lostOn = (await this.lostNodeNames()).get(swarm.nodeId);
      const ended =
        lostOn !== undefined ? `its node ${lostOn} is down` : `its task ended (${seen.why ?? 'gone'})`;
      return {
        state: 'running',
        moved: {
          handle: { ...swarm, taskId: '', addresses: {} },
          why: `${ended}; ${stranded !== undefined ? 'Swarm cannot start another where its volume is' : 'Swarm is starting another'}`,
        },
        ...strandedField,
      };
    }
    if (seen.task.ID === swarm.taskId) return { state: 'running' };
    const next = await this.handleFor(swarm, seen.task);
    const nodes = await this.nodeNames();
    const from = swarm.nodeId ? (nodes.get(swarm.nodeId) ?? swarm.nodeId) : undefined;
    const to = nodes.get(next.nodeId) ?? next.nodeId;
    const why =
      from === undefined || swarm.nodeId === next.nodeId
        ? `restarted by Swarm on node ${to}`
        : `moved by Swarm from node ${from} to node ${to}`;
    return { state: 'running', moved: { handle: next, why } };
  }

  async recover(machineId: string): Promise<MachineHandle | undefined> {
    let services: Docker.Service[];
    try {
      services = await this.docker.listServices({
        filters: { label: [`${LABEL.home}=${this.home}`, `${LABEL.machine}=${machineId}`] },
      });
    } catch (err) {
      throw engineError(`looking for the service of machine ${machineId}`, err);
    }
    const service = services[0];
    if (!service?.ID) return undefined;
    const published = Object.fromEntries(
      (service.Spec?.EndpointSpec?.Ports ?? []).map((p) => [String(p.TargetPort), p.PublishedPort ?? 0]),
    );
    const base = { serviceId: service.ID, serviceName: service.Spec?.Name ?? '', published };
    const seen = observeTasks(await this.tasksOf(service.ID), 1);
    if (seen.kind !== 'running') return { driver: 'swarm', ...base, taskId: '', nodeId: '', addresses: {} };
    return this.handleFor({ driver: 'swarm', ...base, taskId: '', nodeId: '', addresses: {} }, seen.task);
  }

  async destroy(handle: MachineHandle): Promise<void> {
    await this.removeService(this.handleOf(handle).serviceId);
  }

  onExit(): void {
    // Swarm restarts tasks itself; the supervisor's inspect() sees each restart or move.
  }

  async tailLogs(handle: MachineHandle, count: number): Promise<string[]> {
    return tailContainerLogs(this.serviceLogs(handle), count);
  }

  async followLogs(
    handle: MachineHandle,
    onLine: (line: string, info: LineInfo) => void,
    signal: AbortSignal,
    options: FollowOptions = {},
  ): Promise<void> {
    const logs = this.serviceLogs(handle);
    if (!options.untilExit) return followContainerLogs(logs, onLine, signal, options);
    // A service's follow outlives its task: once the task has ended it is cut, and a last read
    // of the service's logs brings the lines it had not delivered.
    const ended = new AbortController();
    const stopWatching = new AbortController();
    const drained = () => ended.abort();
    if (options.drain?.aborted) ended.abort();
    else options.drain?.addEventListener('abort', drained, { once: true });
    const watching = this.untilEnded(handle, stopWatching.signal).then(drained);
    try {
      await followContainerLogs(logs, onLine, signal, { ...options, drain: ended.signal }, ENDED_DRAIN_MS);
    } finally {
      options.drain?.removeEventListener('abort', drained);
      stopWatching.abort();
      await watching;
    }
  }

  /** Resolves once the machine is no longer running (or `stop` aborts). */
  private async untilEnded(handle: MachineHandle, stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      const seen = await this.inspect(handle).catch(() => undefined);
      if (seen && seen.state !== 'running') return;
      await sleep(POLL_MS);
    }
  }

  /** A machine's container runs on whichever node Swarm chose, whose Engine berth does not reach. */
  async exec(handle: MachineHandle): Promise<ExecSession> {
    throw new BerthError(
      'exec_unsupported',
      `machine ${this.handleOf(handle).serviceName} runs on a swarm node: berth cannot exec into it yet`,
    );
  }

  refuseExec(): BerthError {
    return new BerthError(
      'exec_unsupported',
      "the swarm driver's machines run on nodes berth does not reach: no `berth exec` or `berth console` into them yet",
    );
  }

  /**
   * A volume is a named volume of the node its machine is first placed on: that node's Engine
   * creates it when the task starts, and the machine stays pinned there (placement()).
   */
  async createVolume(): Promise<void> {}

  /**
   * The manager cannot reach a node's volumes: berth forgets the volume, and its data stays on
   * its node until `docker volume rm` there (the README says so).
   */
  async removeVolume(): Promise<void> {}

  volumeLocation(volumeId: string): string {
    return `docker volume ${volumeName(volumeId)} on its node`;
  }

  async mountCapability(): Promise<MountCapability> {
    return { ok: true };
  }

  nodeOf(handle: MachineHandle): string | undefined {
    return handle.driver === 'swarm' && handle.nodeId !== '' ? handle.nodeId : undefined;
  }

  async isolation(): Promise<Isolation> {
    return {
      ownUsers: false,
      homeHidden: true,
      processesContained: true,
      summary:
        "machines are containers on the swarm's nodes, one service each, with their own file system, process and network namespaces; the daemon's home is not in them",
    };
  }

  describe(handle: MachineHandle): string {
    if (handle.driver !== 'swarm') return `${handle.driver} machine`;
    const at = Object.values(handle.addresses);
    return `service ${handle.serviceName}${at.length > 0 ? ` at ${at.join(', ')}` : ', not placed'}`;
  }

  /** The swarm's nodes and which of this daemon's machines run on each. */
  async nodes(): Promise<DriverNode[]> {
    let nodes: NodeJson[];
    let tasks: (TaskJson & { Spec?: { ContainerSpec?: { Labels?: Record<string, string> } } })[];
    try {
      nodes = (await this.docker.listNodes()) as NodeJson[];
      tasks = (await this.docker.listTasks({
        filters: { 'desired-state': ['running'], label: [`${LABEL.home}=${this.home}`] },
      })) as typeof tasks;
    } catch (err) {
      throw engineError('listing the swarm nodes', err);
    }
    return nodes
      .map((node) => ({
        id: node.ID,
        name: nodeName(node),
        address: nodeAddress(node) ?? null,
        role: node.Spec?.Role ?? 'worker',
        leader: node.ManagerStatus?.Leader === true,
        state: node.Status?.State ?? 'unknown',
        availability: node.Spec?.Availability ?? 'unknown',
        labels: node.Spec?.Labels ?? {},
        machines: tasks
          .filter((t) => t.NodeID === node.ID && t.Status?.State === 'running')
          .flatMap((t) => {
            const labels = t.Spec?.ContainerSpec?.Labels ?? {};
            const id = labels[LABEL.machine];
            const app = labels[LABEL.app];
            return id && app ? [{ id, app }] : [];
          })
          .sort((a, b) => a.app.localeCompare(b.app) || a.id.localeCompare(b.id)),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async labelNode(
    ref: string,
    change: { set: Record<string, string>; remove: string[] },
  ): Promise<DriverNode> {
    const target = pickNode(await this.nodes(), ref);
    const node = this.docker.getNode(target.id);
    try {
      const info = (await node.inspect()) as NodeJson & { Version?: { Index?: number } };
      const labels = { ...(info.Spec?.Labels ?? {}), ...change.set };
      for (const key of change.remove) delete labels[key];
      await node.update({ version: info.Version?.Index, ...info.Spec, Labels: labels });
    } catch (err) {
      throw engineError(`labelling node ${target.name} (${target.id})`, err);
    }
    return (await this.nodes()).find((n) => n.id === target.id)!;
  }

  /** berth-<app>-<machine>-<home>, or without the app where that would be too long for Swarm. */
  private serviceName(app: string, machineId: string): string {
    const full = `berth-${app}-${machineId}-${this.home.slice(0, 8)}`;
    return full.length <= SERVICE_NAME_MAX ? full : `berth-${machineId}-${this.home.slice(0, 8)}`;
  }

  /** Waits until Swarm runs the new service's task (its node pulled the image and started it). */
  private async waitPlaced(
    base: Pick<SwarmHandle, 'serviceId' | 'serviceName' | 'published'>,
    machineId: string,
  ): Promise<SwarmHandle> {
    const empty: SwarmHandle = { driver: 'swarm', ...base, taskId: '', nodeId: '', addresses: {} };
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const tasks = await this.tasksOf(base.serviceId);
      const seen = observeTasks(tasks, 1);
      if (seen.kind === 'running') return this.handleFor(empty, seen.task);
      // The command ran and exited (a one-off may be done before it is seen running): a machine
      // that crashes is the supervisor's and the deploy's to judge.
      const exited = tasks.find(
        (t) =>
          t.Status?.ContainerStatus?.ExitCode !== undefined &&
          (t.Status?.State === 'failed' || t.Status?.State === 'complete'),
      );
      if (exited) return this.handleFor(empty, exited);
      const refused = rejection(tasks);
      if (refused !== undefined || Date.now() > deadline) {
        await this.removeService(base.serviceId).catch(() => {});
        throw new BerthError(
          'deploy_failed',
          `the service of machine ${machineId} could not run: ${refused ?? `no node ran its task within ${START_TIMEOUT_MS / 1000} s`}`,
          {
            hint: `Check that every node reaches the registry ${await this.registryAddress().catch(() => '(none)')} (and trusts it: insecure-registries) and has a free port in ${PUBLISHED_PORT_RANGE.first}-${PUBLISHED_PORT_RANGE.last}; \`docker service ps ${base.serviceName}\` on the manager says more.`,
          },
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** The handle of the machine as `task` runs it: its node's address and the published ports. */
  private async handleFor(previous: SwarmHandle, task: TaskJson): Promise<SwarmHandle> {
    const nodeId = task.NodeID ?? '';
    let address: string | undefined;
    if (nodeId !== '') {
      try {
        address = nodeAddress((await this.docker.getNode(nodeId).inspect()) as NodeJson);
      } catch (err) {
        if (engineStatus(err) !== 404) throw engineError(`inspecting node ${nodeId}`, err);
      }
    }
    const addresses =
      address === undefined
        ? {}
        : Object.fromEntries(
            Object.entries(previous.published).map(([port, host]) => [port, `${address}:${host}`]),
          );
    return { ...previous, taskId: task.ID, nodeId, addresses };
  }

  /** [deploy] placement, and primary_region where some node carries a region label. */
  private async constraintsFor(spec: MachineSpec): Promise<string[]> {
    if (!spec.primaryRegion) return spec.placement ?? [];
    let nodes: NodeJson[];
    try {
      nodes = (await this.docker.listNodes()) as NodeJson[];
    } catch (err) {
      throw engineError('listing the swarm nodes', err);
    }
    return resolvePlacement(
      spec,
      nodes.map((n) => ({ labels: n.Spec?.Labels ?? {} }) as PlacementNode),
    ).constraints;
  }

  /** Nodes that are down or gone from the swarm's view: their tasks report stale states. */
  private async lostNodes(): Promise<Set<string>> {
    try {
      const nodes = (await this.docker.listNodes()) as NodeJson[];
      return new Set(nodes.filter((n) => n.Status?.State !== 'ready').map((n) => n.ID));
    } catch {
      return new Set();
    }
  }

  /** Lost nodes by id, with the name people know each by. */
  private async lostNodeNames(): Promise<Map<string, string>> {
    try {
      const nodes = (await this.docker.listNodes()) as NodeJson[];
      return new Map(
        nodes
          .filter((n) => n.Status?.State !== 'ready')
          .map((n) => {
            const where = nodeAddress(n);
            return [n.ID, `${nodeName(n)}${where ? ` (${where})` : ''}`];
          }),
      );
    } catch {
      return new Map();
    }
  }

  /** Why a service pinned to its volume's node cannot run: that node is down or gone. */
  private async strandedBy(info: Docker.Service): Promise<string | undefined> {
    const node = pinnedNode(info.Spec?.TaskTemplate?.Placement?.Constraints);
    if (node === undefined) return undefined;
    return this.nodeLoss(node);
  }

  /** Undefined when the node is ready; else what is wrong with it, in words. */
  private async nodeLoss(nodeId: string): Promise<string | undefined> {
    let node: NodeJson;
    try {
      node = (await this.docker.getNode(nodeId).inspect()) as NodeJson;
    } catch (err) {
      if (engineStatus(err) === 404)
        return `node ${nodeId.slice(0, 12)}, which holds its volume, has left the swarm`;
      throw engineError(`inspecting node ${nodeId}`, err);
    }
    const state = node.Status?.State ?? 'unknown';
    if (state === 'ready') return undefined;
    const where = nodeAddress(node);
    return `node ${nodeName(node)}${where ? ` (${where})` : ''}, which holds its volume, is ${state}`;
  }

  /** A machine pinned to its volume's node starts there or not at all. */
  private async requireLive(nodeId: string, machineId: string): Promise<void> {
    const loss = await this.nodeLoss(nodeId);
    if (loss === undefined) return;
    throw new BerthError('deploy_failed', `machine ${machineId} cannot start: ${loss}`, {
      hint: 'Bring the node back (its machines start there again), or destroy the volume with `berth volumes destroy --force` to start afresh elsewhere.',
    });
  }

  private async nodeNames(): Promise<Map<string, string>> {
    try {
      const nodes = (await this.docker.listNodes()) as NodeJson[];
      return new Map(nodes.map((node) => [node.ID, nodeName(node)]));
    } catch {
      return new Map();
    }
  }

  private async allocatePorts(count: number): Promise<number[]> {
    if (count === 0) return [];
    let services: Docker.Service[];
    try {
      services = await this.docker.listServices();
    } catch (err) {
      throw engineError('listing the swarm services', err);
    }
    const used = new Set(this.reserved);
    for (const service of services) {
      for (const port of service.Endpoint?.Ports ?? service.Spec?.EndpointSpec?.Ports ?? []) {
        if (port.PublishedPort) used.add(port.PublishedPort);
      }
    }
    const { first, last } = PUBLISHED_PORT_RANGE;
    const ports = choosePorts(used, count, first + Math.floor(Math.random() * (last - first + 1)));
    if (ports.length < count) {
      throw new BerthError(
        'address_unavailable',
        `no free port in ${first}-${last} to publish a machine's ports on`,
        {
          hint: 'Destroy machines or apps no longer needed.',
        },
      );
    }
    for (const port of ports) this.reserved.add(port);
    return ports;
  }

  private async serviceInfo(serviceId: string): Promise<Docker.Service | undefined> {
    try {
      return await unlessGone(() => this.docker.getService(serviceId).inspect() as Promise<Docker.Service>);
    } catch (err) {
      throw engineError(`inspecting service ${serviceId}`, err);
    }
  }

  private async tasksOf(serviceId: string): Promise<TaskJson[]> {
    try {
      return (await this.docker.listTasks({ filters: { service: [serviceId] } })) as TaskJson[];
    } catch (err) {
      if (engineStatus(err) === 404) return [];
      throw engineError(`listing the tasks of service ${serviceId}`, err);
    }
  }

  private async removeService(idOrName: string): Promise<void> {
    try {
      await unlessGone(() => this.docker.getService(idOrName).remove());
    } catch (err) {
      throw engineError(`removing service ${idOrName}`, err);
    }
  }

  /** The service's logs read as a container's: the Engine frames them the same way. */
  private serviceLogs(handle: MachineHandle): Docker.Container {
    const swarm = this.handleOf(handle);
    const service = this.docker.getService(swarm.serviceId);
    return {
      id: swarm.serviceName,
      logs: (options: object) => service.logs(options),
    } as unknown as Docker.Container;
  }

  private handleOf(handle: MachineHandle): SwarmHandle {
    if (handle.driver !== 'swarm') {
      throw new BerthError('internal', `the swarm driver was given a ${handle.driver} machine`);
    }
    return handle;
  }
}

/** The last task's fate, for messages. */
export function lastFate(tasks: TaskJson[]): string | undefined {
  const last = [...tasks].sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''))[0];
  return last ? taskFate(last) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
