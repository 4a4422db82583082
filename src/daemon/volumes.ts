// Volumes: named storage whose data outlives every release and machine, kept by the driver of
// the machines that use it (process: <home>/volumes/<id>/; docker: a named volume). Each machine of a group with [mounts] holds one volume per mount source: the
// one it already has, else a free one of that name, else a new one of initial_size. A
// destroyed machine frees its volume (see VolumeStore); only `volumes destroy` deletes data.
import { randomBytes } from 'node:crypto';
import type { AppConfig, DeployStrategy } from '../core/config/types.js';
import { BerthError } from '../core/errors.js';
import type { Release } from '../core/model.js';
import type { Machine } from '../store/machines.js';
import { checkVolumeDeploy, mountsForGroup, type HeldVolume } from '../core/volumes/deploy-checks.js';
import {
  DEFAULT_VOLUME_SIZE_BYTES,
  formatSize,
  isVolumeId,
  parseVolumeSize,
} from '../core/volumes/volume-name.js';
import type { Driver, MachineMount } from '../drivers/driver.js';
import type { Store } from '../store/store.js';
import type { Volume } from '../store/volumes.js';
import type { DaemonDrivers } from './drivers.js';
import type { MachineSupervisor } from './supervisor.js';

/** A node a volume lives on, for people. */
export interface NodePlace {
  id: string;
  name: string;
  address: string | null;
}

export function newVolumeId(): string {
  return `vol_${randomBytes(8).toString('hex')}`;
}

export interface DestroyedVolume {
  volume: Volume;
  /** The machine that was stopped because it held the volume (with --force). */
  stoppedMachine?: { id: string; destination?: string };
}

export class VolumeManager {
  constructor(
    private readonly store: Store,
    private readonly drivers: DaemonDrivers,
    private readonly supervisor: MachineSupervisor,
  ) {}

  /** The driver that keeps an app's volumes: the app's own (volumes block a move between drivers). */
  private driverOf(app: string): Driver {
    return this.drivers.require(this.store.apps.get(app)?.driver ?? this.drivers.default);
  }

  async create(app: string, name: string, sizeBytes: number, driver = this.driverOf(app)): Promise<Volume> {
    const volume = this.store.volumes.create({ id: newVolumeId(), app, name, sizeBytes });
    await driver.createVolume(volume.id);
    this.store.events.append({
      app,
      kind: 'volume.created',
      message: `volume ${volume.id} (${name}, ${formatSize(sizeBytes)}) created`,
    });
    return volume;
  }

  /** Where a volume's data is, in its driver's words (process: its directory). */
  locationOf(volume: Volume): string {
    return this.driverOf(volume.app).volumeLocation?.(volume.id) ?? volume.id;
  }

  /** The nodes the volumes live on (swarm), by id, as the driver names them; empty when none has one. */
  async nodesOf(app: string, volumes: Volume[]): Promise<Map<string, NodePlace>> {
    if (!volumes.some((v) => v.node !== null)) return new Map();
    const nodes = await this.driverOf(app)
      .nodes?.()
      .catch(() => []);
    return new Map((nodes ?? []).map((n) => [n.id, { id: n.id, name: n.name, address: n.address }]));
  }

  /** The app's volume with this id, or the error that says there is none. */
  require(app: string, id: string): Volume {
    const volume = isVolumeId(id) ? this.store.volumes.get(id) : undefined;
    if (!volume || volume.app !== app) {
      throw new BerthError('volume_not_found', `app "${app}" has no volume ${JSON.stringify(id)}`);
    }
    return volume;
  }

  /** Bytes the volume's data takes, when its driver can tell (the size is recorded, not enforced). */
  async usage(id: string): Promise<number> {
    const volume = this.store.volumes.get(id);
    if (!volume) return 0;
    return (await this.driverOf(volume.app).volumeUsage?.(id)) ?? 0;
  }

  /**
   * The volumes a machine sees, attaching (or creating) one per mount of its group. Called
   * every time the machine starts, so a new destination mounts the same data there. Only the
   * app's managed machines get volumes: a release command or a one-off machine does not,
   * unless it was run with --volumes (see sharedMounts).
   */
  async mountsFor(machine: Machine, release: Release, driver: Driver): Promise<MachineMount[]> {
    if (!machine.managed) return machine.runConfig?.volumes ? this.sharedMounts(machine, release) : [];
    const mounts = mountsForGroup(release.config, machine.processGroup);
    const held = this.store.volumes.listByMachine(machine.id);
    const result: MachineMount[] = [];
    for (const mount of mounts) {
      let volume = held.find((v) => v.name === mount.source);
      if (!volume) {
        volume = this.store.volumes.attachFree(machine.app, mount.source, machine.id);
        if (!volume) {
          const size = mount.initialSize ? parseVolumeSize(mount.initialSize) : DEFAULT_VOLUME_SIZE_BYTES;
          volume = await this.create(machine.app, mount.source, size, driver);
          this.store.volumes.attach(volume.id, machine.id);
        }
        held.push(volume);
        this.store.events.append({
          app: machine.app,
          releaseVersion: release.version,
          machineId: machine.id,
          kind: 'volume.attached',
          message: `volume ${volume.id} (${mount.source}) attached to machine ${machine.id}`,
        });
      }
      // Made again if its storage went missing; a no-op when it is there.
      await driver.createVolume(volume.id);
      result.push({
        volumeId: volume.id,
        destination: mount.destination,
        ...(volume.node !== null && { node: volume.node }),
      });
    }
    return result;
  }

  /**
   * `berth run --volumes` / `console --volumes`: the group's volumes, the oldest of each name,
   * mounted without being attached, so the machine that holds one keeps it and both see the
   * same data while both run.
   */
  private sharedMounts(machine: Machine, release: Release): MachineMount[] {
    const mounts = mountsForGroup(release.config, machine.processGroup);
    if (mounts.length === 0) {
      throw new BerthError(
        'invalid_volume',
        `the ${machine.processGroup} machines of ${machine.app} v${release.version} mount no volumes`,
        { hint: 'Leave out --volumes, or add a [mounts] section to the config and deploy it.' },
      );
    }
    const volumes = this.store.volumes.listByApp(machine.app);
    return mounts.map((mount) => {
      const volume = volumes.find((v) => v.name === mount.source);
      if (!volume) {
        throw new BerthError('volume_not_found', `app "${machine.app}" has no volume "${mount.source}" yet`, {
          hint: 'Deploy the app first: its machines create their volumes; `berth volumes list` shows them.',
        });
      }
      return {
        volumeId: volume.id,
        destination: mount.destination,
        ...(volume.node !== null && { node: volume.node }),
      };
    });
  }

  /** The volumes the app's managed machines hold, for the checks a deploy makes first. */
  held(app: string): HeldVolume[] {
    const machines = new Map(
      this.store.machines
        .listByApp(app)
        .filter((m) => m.managed)
        .map((m) => [m.id, m]),
    );
    return this.store.volumes
      .listByApp(app)
      .filter((v) => v.machineId !== null && machines.has(v.machineId))
      .map((v) => ({
        machineId: v.machineId!,
        group: machines.get(v.machineId!)!.processGroup,
        name: v.name,
      }));
  }

  /** Refuses a deploy that volumes make impossible, before it changes anything. */
  async checkDeploy(app: string, config: AppConfig, strategy: DeployStrategy, driver: Driver): Promise<void> {
    const problem = checkVolumeDeploy({ config, strategy, held: this.held(app) });
    if (problem) throw problem;
    if (config.mounts.length === 0) return;
    const capability = (await driver.mountCapability?.()) ?? {
      ok: false as const,
      cause: `the ${driver.name} driver cannot mount volumes`,
      fix: 'Use the process driver, or remove [mounts] from the config.',
    };
    if (!capability.ok) {
      throw new BerthError(
        'mounts_unsupported',
        `this host cannot give machines their volumes at the mount's destination: ${capability.cause}`,
        { hint: capability.fix },
      );
    }
  }

  /**
   * Deletes a volume and its data. An attached one is refused unless forced; forced, its
   * machine is drained and stopped first (it stays stopped: started again, it attaches another
   * volume of that name, a free one or a new empty one).
   */
  async destroy(app: string, id: string, force: boolean): Promise<DestroyedVolume> {
    const volume = this.require(app, id);
    const result: DestroyedVolume = { volume };
    if (volume.machineId !== null) {
      const machine = this.store.machines.get(volume.machineId);
      const destination = machine && this.destinationOf(machine, volume);
      const at = destination ? ` at ${destination}` : '';
      if (!force) {
        throw new BerthError(
          'volume_attached',
          `volume ${id} (${volume.name}) is attached to machine ${volume.machineId}${at}`,
          {
            hint: `Destroy or scale down machine ${volume.machineId} first, or pass --force: the machine is then drained and stopped, and the volume's data deleted.`,
          },
        );
      }
      const running = this.store.deployments.running(app);
      if (running) {
        throw new BerthError('deploy_in_progress', `app "${app}" is deploying v${running.releaseVersion}`, {
          hint: 'Wait for the deployment to finish, then destroy the volume.',
        });
      }
      await this.supervisor.stopMachine(volume.machineId, { drain: true });
      this.store.volumes.detachFrom(volume.machineId);
      result.stoppedMachine = { id: volume.machineId, ...(destination ? { destination } : {}) };
    }
    const driver = this.driverOf(app);
    this.store.volumes.delete(id);
    await driver.removeVolume(id);
    this.store.events.append({
      app,
      kind: 'volume.destroyed',
      message: `volume ${id} (${volume.name}) destroyed${result.stoppedMachine ? `; machine ${result.stoppedMachine.id} was stopped` : ''}`,
    });
    return result;
  }

  /** Deletes every volume of an app (when the app itself is destroyed). */
  async destroyAll(app: string): Promise<void> {
    const volumes = this.store.volumes.listByApp(app);
    if (volumes.length === 0) return;
    const driver = this.driverOf(app);
    for (const volume of volumes) {
      this.store.volumes.delete(volume.id);
      await driver.removeVolume(volume.id);
    }
  }

  private destinationOf(machine: Machine, volume: Volume): string | undefined {
    const release = this.store.releases.get(machine.app, machine.releaseVersion);
    if (!release) return undefined;
    return mountsForGroup(release.config, machine.processGroup).find((m) => m.source === volume.name)
      ?.destination;
  }
}
