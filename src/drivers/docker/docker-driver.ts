// The Docker driver: a release is an image, a machine is one container of it on the default
// bridge, reached at its bridge address (its ports also published on free loopback ports of
// the host, for people). Containers are labelled
// with their app, release, machine, group and the daemon's home, run with restart policy "no"
// (berth's supervisor restarts them), and outlive the daemon: a later daemon finds them by
// label and reads their state from the Engine.
import type Docker from 'dockerode';
import { BerthError } from '../../core/errors.js';
import { DEFAULT_PROCESS_GROUP, type AppConfig } from '../../core/config/types.js';
import type {
  DockerHandle,
  Driver,
  FollowOptions,
  ExecRequest,
  ExecSession,
  Isolation,
  LineInfo,
  MachineHandle,
  MachineSpec,
  MountCapability,
  ObservedState,
  PreparedRelease,
  PrepareRequest,
} from '../driver.js';
import {
  bridgeAddress,
  hostReachesBridge,
  machineAddresses,
  orderedAddresses,
  publishedAddresses,
} from './container-addresses.js';
import { containerConfig, observedState } from './container-config.js';
import { connectEngine, engineError, engineMessage, engineStatus, unlessGone } from './engine.js';
import { ExitEvents, type ExitListener } from './exit-events.js';
import { prepareImage } from './image-build.js';
import { followContainerLogs, tailContainerLogs } from './container-logs.js';
import { execInContainer } from './container-exec.js';
import { LABEL, containerName, homeId, imageRepository, volumeName } from './names.js';
import { releaseTagsToRemove } from './prune-images.js';
import { signalName } from './signals.js';

export interface DockerDriverOptions {
  /** The daemon's home; its digest labels everything this daemon creates. */
  home: string;
  /** DOCKER_HOST's forms: unix:///path, tcp://host:port. */
  dockerHost: string;
  /** The daemon's log, for what happens outside any request (the event stream dropping). */
  log: (line: string) => void;
}

const MACHINE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const POLL_MS = 50;
/** After SIGKILL the Engine needs moments, not seconds; past this something is wrong. */
const SIGKILL_WAIT_MS = 10_000;

/** Connects to the Engine and answers once it has replied; throws when it cannot be reached. */
export async function createDockerDriver(options: DockerDriverOptions): Promise<DockerDriver> {
  const docker = connectEngine(options.dockerHost);
  try {
    await docker.ping();
  } catch (err) {
    throw new BerthError(
      'docker_engine_error',
      `the Docker Engine at ${options.dockerHost} does not answer: ${engineMessage(err)}`,
    );
  }
  let info: { OperatingSystem?: string; SecurityOptions?: string[]; NCPU?: number } = {};
  try {
    info = await docker.info();
  } catch {
    // An Engine that does not describe itself is taken as a plain local one.
  }
  const reach = hostReachesBridge(info, process.platform);
  if (!reach.reachable) {
    options.log(
      `docker: machines are reached through their published loopback ports (${reach.why}); the Engine's port forwarder may accept connections before an app listens`,
    );
  }
  return new DockerDriver(docker, options, { reachesBridge: reach.reachable, cpus: info.NCPU });
}

export class DockerDriver implements Driver {
  readonly name = 'docker' as const;
  readonly appliesLimits = true;
  private readonly home: string;
  private readonly listeners: ExitListener[] = [];
  private readonly events: ExitEvents;
  /** Network id -> whether it is a bridge network, asked of the Engine once per network. */
  private readonly bridges = new Map<string, boolean>();

  /** Whether this host reaches containers' bridge addresses (container-addresses.ts says why it matters). */
  readonly reachesBridge: boolean;
  /** The Engine host's CPUs: the Engine refuses a CPU limit above them. */
  private readonly hostCpus: number | undefined;

  constructor(
    private readonly docker: Docker,
    options: DockerDriverOptions,
    engine: { reachesBridge?: boolean; cpus?: number } = {},
  ) {
    this.home = homeId(options.home);
    this.reachesBridge = engine.reachesBridge ?? false;
    this.hostCpus = engine.cpus;
    this.events = new ExitEvents(docker, this.home, options.log, (machineId, exit) =>
      this.notify(machineId, exit),
    );
  }

  /** Stops watching the Engine's events (the daemon's shutdown; tests). Containers keep running. */
  close(): void {
    this.events.close();
  }

  async prepareRelease(request: PrepareRequest): Promise<PreparedRelease> {
    return prepareImage(this.docker, this.home, request);
  }

  async releaseAvailable(prepared: PreparedRelease): Promise<boolean> {
    if (prepared.driver !== 'docker') return false;
    try {
      await this.docker.getImage(prepared.imageId).inspect();
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw engineError(`looking up image ${prepared.image}`, err);
    }
  }

  async pruneReleases(
    app: string,
    keep: PreparedRelease[],
    options: { appDestroyed?: boolean } = {},
  ): Promise<void> {
    let images: Docker.ImageInfo[];
    try {
      images = await this.docker.listImages({ filters: { reference: [imageRepository(app)] } });
    } catch (err) {
      throw engineError(`listing the images of ${app}`, err);
    }
    // Built images carry this home's label; an image used as given carries none of berth's, and
    // losing the tag leaves it under its own name. Another daemon's images are left alone.
    const ours = images.filter((image) => {
      const home = image.Labels?.[LABEL.home];
      return home === undefined || home === this.home;
    });
    const tags = ours.flatMap((image) => (image.RepoTags ?? []).map((tag) => ({ tag, imageId: image.Id })));
    const kept = keep.flatMap((k) => (k.driver === 'docker' ? [k] : []));
    // A destroyed app keeps nothing; otherwise the newest images stay whatever the daemon says.
    const keepNewest = options.appDestroyed ? 0 : undefined;
    for (const tag of releaseTagsToRemove(app, tags, kept, keepNewest)) {
      // A container still using the image keeps it (409), which is fine: a later prune takes it.
      await unlessGone(() => this.docker.getImage(tag).remove()).catch((err: unknown) => {
        if (engineStatus(err) !== 409) throw engineError(`removing image ${tag}`, err);
      });
    }
  }

  async defaultCommands(config: AppConfig, _prepared: PreparedRelease): Promise<Record<string, string>> {
    // No [processes]: one group running the image's own CMD (and ENTRYPOINT), as on fly.
    return Object.keys(config.processes).length > 0
      ? { ...config.processes }
      : { [DEFAULT_PROCESS_GROUP]: '' };
  }

  async start(spec: MachineSpec): Promise<MachineHandle> {
    if (spec.prepared.driver !== 'docker') {
      throw new BerthError('internal', `the docker driver was given a ${spec.prepared.driver} release`);
    }
    if (!MACHINE_ID.test(spec.machineId)) {
      throw new BerthError(
        'internal',
        `machine id ${JSON.stringify(spec.machineId)} cannot name a container`,
      );
    }
    const killSignal = signalName(spec.killSignal);
    const name = containerName(spec.app, spec.machineId, this.home);
    await this.removePrevious(name, spec.machineId);
    for (const mount of spec.mounts ?? []) await this.createVolume(mount.volumeId);

    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(
        containerConfig(
          { ...spec, killSignal },
          { home: this.home, name, image: spec.prepared.imageId, hostCpus: this.hostCpus },
        ),
      );
    } catch (err) {
      if (engineStatus(err) === 404) {
        throw new BerthError(
          'release_not_found',
          `the image of ${spec.app} v${spec.releaseVersion} (${spec.prepared.image}) is no longer on the Docker Engine`,
          { hint: 'Deploy the release again to rebuild its image.' },
        );
      }
      throw engineError(`creating the container of machine ${spec.machineId}`, err);
    }
    try {
      await container.start();
    } catch (err) {
      // The command could not even be executed (no such file in the image): nothing ran.
      await unlessGone(() => container.remove({ force: true, v: true })).catch(() => {});
      throw new BerthError(
        'deploy_failed',
        `the container of machine ${spec.machineId} could not start: ${engineMessage(err)}`,
        {
          hint: "Check the image's ENTRYPOINT and CMD, or the [processes] command, and that what it runs exists in the image.",
        },
      );
    }
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (err) {
      throw engineError(`inspecting the container of machine ${spec.machineId}`, err);
    }
    // A container that exits at once has lost its bridge address and its published ports: no
    // address, which the supervisor sees as the exit it is.
    return {
      driver: 'docker',
      containerId: info.Id,
      containerName: name,
      ...(await this.addressesOf(info, spec.ports)),
    };
  }

  async stop(handle: MachineHandle, options: { signal: string; timeoutMs: number }): Promise<void> {
    const container = this.containerOf(handle);
    const signal = signalName(options.signal);
    if (!(await this.isRunning(container))) return;
    // kill, wait, then SIGKILL, rather than `docker stop`, whose timeout counts whole seconds.
    await this.kill(container, signal);
    if (await this.waitStopped(container, Math.max(0, options.timeoutMs))) return;
    await this.kill(container, 'SIGKILL');
    if (!(await this.waitStopped(container, SIGKILL_WAIT_MS))) {
      throw new BerthError('docker_engine_error', `container ${container.id} still runs after SIGKILL`);
    }
  }

  async inspect(handle: MachineHandle): Promise<ObservedState> {
    const container = this.containerOf(handle);
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await unlessGone(() => container.inspect());
    } catch (err) {
      throw engineError(`inspecting container ${container.id}`, err);
    }
    // The id is the Engine's, so it names no other daemon's container; the label is checked anyway.
    if (!info || info.Config.Labels?.[LABEL.home] !== this.home) return { state: 'missing' };
    return observedState(info.State);
  }

  async recover(machineId: string): Promise<MachineHandle | undefined> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABEL.home}=${this.home}`, `${LABEL.machine}=${machineId}`] },
      });
    } catch (err) {
      throw engineError(`looking for the container of machine ${machineId}`, err);
    }
    // Only one should exist; a running one is the one that matters, else the newest.
    const best = [...found].sort(
      (a, b) => Number(b.State === 'running') - Number(a.State === 'running') || b.Created - a.Created,
    )[0];
    if (!best) return undefined;
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await unlessGone(() => this.docker.getContainer(best.Id).inspect());
    } catch (err) {
      throw engineError(`inspecting the container of machine ${machineId}`, err);
    }
    if (!info) return undefined;
    const ports = Object.keys(info.Config.ExposedPorts ?? {})
      .map((key) => Number(key.split('/')[0]))
      .filter((port) => Number.isInteger(port));
    // PORT, set at create, is the first (HTTP) port; keep it first.
    const first = Number(info.Config.Env?.find((e) => e.startsWith('PORT='))?.slice(5));
    ports.sort((a, b) => Number(b === first) - Number(a === first));
    return {
      driver: 'docker',
      containerId: info.Id,
      containerName: info.Name.replace(/^\//, ''),
      ...(await this.addressesOf(info, ports)),
    };
  }

  async destroy(handle: MachineHandle): Promise<void> {
    const container = this.containerOf(handle);
    try {
      // v: the container's anonymous volumes (an image's VOLUME) go with it; named ones stay.
      await unlessGone(() => container.remove({ force: true, v: true }));
    } catch (err) {
      throw engineError(`removing container ${container.id}`, err);
    }
  }

  onExit(listener: ExitListener): void {
    this.listeners.push(listener);
    this.events.start();
  }

  async tailLogs(handle: MachineHandle, count: number): Promise<string[]> {
    return tailContainerLogs(this.containerOf(handle), count);
  }

  async followLogs(
    handle: MachineHandle,
    onLine: (line: string, info: LineInfo) => void,
    signal: AbortSignal,
    options: FollowOptions = {},
  ): Promise<void> {
    return followContainerLogs(this.containerOf(handle), onLine, signal, options);
  }

  async exec(handle: MachineHandle, request: ExecRequest): Promise<ExecSession> {
    return execInContainer(this.docker, this.containerOf(handle), request);
  }

  async createVolume(volumeId: string): Promise<void> {
    try {
      // Creating a volume that exists returns it unchanged: safe on every start.
      await this.docker.createVolume({
        Name: volumeName(volumeId),
        Labels: { [LABEL.managed]: 'true', [LABEL.home]: this.home, [LABEL.volume]: volumeId },
      });
    } catch (err) {
      throw engineError(`creating volume ${volumeId}`, err);
    }
  }

  volumeLocation(volumeId: string): string {
    // The Engine's name for it: `docker volume inspect NAME` shows where its data is.
    return volumeName(volumeId);
  }

  async removeVolume(volumeId: string): Promise<void> {
    try {
      // A stopped machine's container still names the volume, and the Engine refuses to remove a
      // volume any container names. Its next start makes a fresh container, so it can go now.
      const holders = await this.docker.listContainers({
        all: true,
        filters: { volume: [volumeName(volumeId)], label: [`${LABEL.home}=${this.home}`] },
      });
      for (const holder of holders.filter((c) => c.State !== 'running')) {
        await unlessGone(() => this.docker.getContainer(holder.Id).remove({ force: true }));
      }
      await unlessGone(() => this.docker.getVolume(volumeName(volumeId)).remove());
    } catch (err) {
      if (engineStatus(err) === 409) {
        throw new BerthError(
          'volume_attached',
          `volume ${volumeId} is still used by a container: ${engineMessage(err)}`,
        );
      }
      throw engineError(`removing volume ${volumeId}`, err);
    }
  }

  async mountCapability(): Promise<MountCapability> {
    return { ok: true };
  }

  async isolation(): Promise<Isolation> {
    let security: string[] = [];
    try {
      security = (await this.docker.info()).SecurityOptions ?? [];
    } catch {
      // The summary is informative; an Engine that does not say is taken as a plain one.
    }
    const remapped = security.some((option) => /name=(userns|rootless)/.test(option));
    return {
      ownUsers: remapped,
      homeHidden: true,
      processesContained: true,
      summary: remapped
        ? "machines are containers with their own file system, process and network namespaces; the daemon's home is not in them, and root in a container is an unprivileged user on the host (user namespaces)"
        : "machines are containers with their own file system, process and network namespaces; the daemon's home is not in them; they run as root inside the container unless the image sets USER, and that root is the host's root held in by the container",
    };
  }

  describe(handle: MachineHandle): string {
    if (handle.driver !== 'docker') return `${handle.driver} machine`;
    const published = Object.values(handle.published);
    return `container ${handle.containerId.slice(0, 12)}${published.length > 0 ? `, published on ${published.join(', ')}` : ''}`;
  }

  /** What the proxy and health checks reach (the bridge address when there is one) and what people can. */
  private async addressesOf(
    info: Docker.ContainerInspectInfo,
    ports: number[],
  ): Promise<Pick<DockerHandle, 'addresses' | 'published'>> {
    const published = orderedAddresses(ports, publishedAddresses(info.NetworkSettings.Ports));
    if (!this.reachesBridge) return { addresses: orderedAddresses(ports, published), published };
    const networks = info.NetworkSettings.Networks ?? {};
    for (const { NetworkID: id } of Object.values(networks)) {
      if (id && !this.bridges.has(id)) await this.learnNetwork(id);
    }
    const ip = bridgeAddress(networks, (id) => this.bridges.get(id) === true);
    return { addresses: machineAddresses(ports, published, ip), published };
  }

  private async learnNetwork(networkId: string): Promise<void> {
    try {
      const network = (await this.docker.getNetwork(networkId).inspect()) as { Driver?: string };
      this.bridges.set(networkId, network.Driver === 'bridge');
    } catch (err) {
      if (engineStatus(err) !== 404) throw engineError(`inspecting network ${networkId}`, err);
    }
  }

  private notify(machineId: string, exit: { exitCode: number | null; signal: string | null }): void {
    for (const listener of this.listeners) {
      try {
        listener(machineId, exit);
      } catch (err) {
        // One faulty listener must neither stop the others nor crash the daemon.
        process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'BerthDriverListener');
      }
    }
  }

  /** A machine's next run is a fresh container, as a process machine gets a fresh copy of its tree. */
  private async removePrevious(name: string, machineId: string): Promise<void> {
    const previous = this.docker.getContainer(name);
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await unlessGone(() => previous.inspect());
    } catch (err) {
      throw engineError(`looking for container ${name}`, err);
    }
    if (!info) return;
    if (info.State.Running) {
      throw new BerthError('internal', `machine ${machineId} is already running as container ${name}`, {
        hint: 'Stop the machine before starting it again.',
      });
    }
    try {
      await unlessGone(() => previous.remove({ force: true, v: true }));
    } catch (err) {
      throw engineError(`removing the previous container of machine ${machineId}`, err);
    }
  }

  private containerOf(handle: MachineHandle): Docker.Container {
    if (handle.driver !== 'docker') {
      throw new BerthError('internal', `the docker driver was given a ${handle.driver} machine`);
    }
    return this.docker.getContainer((handle as DockerHandle).containerId);
  }

  private async isRunning(container: Docker.Container): Promise<boolean> {
    try {
      const info = await unlessGone(() => container.inspect());
      return info?.State.Running === true;
    } catch (err) {
      throw engineError(`inspecting container ${container.id}`, err);
    }
  }

  private async kill(container: Docker.Container, signal: string): Promise<void> {
    try {
      await unlessGone(() => container.kill({ signal }));
    } catch (err) {
      // 409: it stopped on its own meanwhile.
      if (engineStatus(err) !== 409) throw engineError(`sending ${signal} to container ${container.id}`, err);
    }
  }

  private async waitStopped(container: Docker.Container, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.isRunning(container))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))),
      );
    }
  }
}
