// Machines one at a time: `berth machine run|clone|start|stop|destroy|status`. A machine made
// by `machine run` is unmanaged: it carries its own config, and deploys, rollbacks and scaling
// never touch it (the supervisor still restarts it when it crashes, unless it was run --rm).
import { randomUUID } from 'node:crypto';
import type { ArtifactStore } from '../artifacts/store.js';
import type { PreparedRelease } from '../core/drivers.js';
import { BerthError } from '../core/errors.js';
import { buildEnv } from '../core/machine-env.js';
import {
  checkMachineName,
  checkPort,
  checkEnvName,
  type MachineRunConfig,
} from '../core/machine-run-config.js';
import { isSupervised } from '../core/machine-state.js';
import type { BerthEvent, Release } from '../core/model.js';
import type { Machine } from '../store/machines.js';
import type { Store } from '../store/store.js';
import type { DeployLocks } from './deploy-lock.js';
import type { DaemonDrivers } from './drivers.js';
import { groupMembers } from './group-members.js';
import { awaitMachineHealthy, type MachineHealthDeps } from './machine-health.js';
import { releaseCommands } from './release-commands.js';
import { pruneAppReleases } from './release-pruner.js';

const RUN_LISTEN_WAIT_MS = 60_000;
const ONE_OFF_PREPARE_MS = 15 * 60_000;

export interface MachineControlDeps extends MachineHealthDeps {
  /** Seals `-e` values before they are stored (the secrets vault). */
  sealEnv: (app: string, env: Record<string, string>) => Record<string, string>;
  locks: DeployLocks;
  drivers: DaemonDrivers;
  artifacts: ArtifactStore;
  maxUnpackedBytes: number;
}

export interface RunRequest {
  /** Defaults to the app's current release. */
  release?: number;
  /** An uploaded artifact to run instead of a release's tree (`--dir`). */
  artifact?: string;
  command?: string;
  env?: Record<string, string>;
  port?: number;
  name?: string;
  autoDestroy?: boolean;
  /** Mount the group's volumes (shared with the machines holding them). */
  volumes?: boolean;
}

export interface MachineStatus {
  machine: Machine;
  events: BerthEvent[];
}

export class MachineControl {
  constructor(private readonly deps: MachineControlDeps) {
    // A --dir tree (or image) is kept while any machine still runs it.
    deps.store.events.subscribe((event) => {
      if (event.kind !== 'machine.destroyed' || !event.app || !event.machineId) return;
      if (deps.store.machines.get(event.machineId)?.runConfig?.prepared) {
        void pruneAppReleases(deps.store, deps.drivers, event.app).catch(() => {});
      }
    });
  }

  private get store(): Store {
    return this.deps.store;
  }

  /** A machine of the app by id or by name. */
  find(app: string, idOrName: string): Machine {
    const machine = this.store.machines.get(idOrName) ?? this.store.machines.findByName(app, idOrName);
    if (!machine || machine.app !== app || machine.state === 'destroyed') {
      throw new BerthError('machine_not_found', `app "${app}" has no machine "${idOrName}"`);
    }
    return machine;
  }

  /** With attended, the caller handles the machine's exit (see MachineSupervisor.attend). */
  async run(app: string, request: RunRequest, options: { attended?: boolean } = {}): Promise<Machine> {
    if (request.release !== undefined && request.artifact !== undefined) {
      throw new BerthError(
        'invalid_request',
        'a machine runs either a release or an uploaded directory, not both',
        {
          hint: 'Send "release" or "artifact" (`--release vN` or `--dir DIR`), not both.',
        },
      );
    }
    const release = await this.releaseFor(app, request.release);
    if (request.name !== undefined) {
      checkMachineName(request.name);
      if (this.store.machines.findByName(app, request.name)) {
        throw new BerthError(
          'machine_conflict',
          `app "${app}" already has a machine named "${request.name}"`,
          {
            hint: 'Pick another --name, or destroy the other machine first with `berth machine destroy NAME`.',
          },
        );
      }
    }
    if (request.port !== undefined) checkPort(request.port);
    for (const name of Object.keys(request.env ?? {})) checkEnvName(name);
    const commands = await releaseCommands(this.deps.drivers, release);
    const group = 'app' in commands ? 'app' : Object.keys(commands)[0]!;
    const command = request.command ?? commands[group]!;
    const prepared =
      request.artifact === undefined ? undefined : await this.prepareOneOff(release, request.artifact);
    const runConfig: MachineRunConfig = {
      env: this.deps.sealEnv(app, request.env ?? {}),
      envSealed: true,
      port: request.port ?? null,
      autoDestroy: request.autoDestroy ?? false,
      artifactDigest: request.artifact ?? null,
      ...(prepared && { prepared }),
      ...(request.volumes && { volumes: true }),
    };
    const machine = await this.deps.supervisor.launch(
      release,
      group,
      command,
      false,
      {},
      {
        name: request.name ?? null,
        runConfig,
      },
    );
    if (options.attended) this.deps.supervisor.attend(machine.id);
    this.supervise(machine);
    // With a port, answer once it listens (or a minute passed: it keeps running either way),
    // so that the address printed can be used at once.
    if (runConfig.port !== null)
      await awaitMachineHealthy(this.deps, machine.id, () => {}, RUN_LISTEN_WAIT_MS);
    return this.store.machines.get(machine.id)!;
  }

  /** A copy with the same release and config. A managed copy joins the group and its size. */
  async clone(app: string, idOrName: string, user: string): Promise<Machine> {
    const source = this.find(app, idOrName);
    const release = this.store.releases.get(app, source.releaseVersion)!;
    if (!source.managed) {
      const machine = await this.deps.supervisor.launch(
        release,
        source.processGroup,
        source.command,
        false,
        {},
        {
          name: null,
          runConfig: source.runConfig,
        },
      );
      return this.supervise(machine);
    }
    // Growing the group is a scale: keep it away from a deploy.
    const lease = await this.deps.locks.acquire(app, {
      owner: `clone of machine ${source.id} by ${user} (${randomUUID().slice(0, 8)})`,
      user,
    });
    try {
      const machine = await this.deps.supervisor.launch(release, source.processGroup, source.command);
      await this.serveWhenHealthy(machine, async () =>
        this.deps.supervisor.retire(machine.id, { drain: false }),
      );
      this.resizeGroup(app, source.processGroup);
      return this.store.machines.get(machine.id)!;
    } finally {
      lease.release();
    }
  }

  async start(app: string, idOrName: string): Promise<Machine> {
    const machine = this.find(app, idOrName);
    if (isSupervised(machine.state)) {
      throw new BerthError('machine_conflict', `machine ${machine.id} is already ${machine.state}`, {
        hint: `Stop it first with \`berth machine stop ${machine.id}\` if you meant to restart it.`,
      });
    }
    if (machine.state !== 'stopped' && machine.state !== 'failed') {
      throw new BerthError(
        'machine_conflict',
        `machine ${machine.id} is ${machine.state} and cannot be started`,
      );
    }
    const started = await this.deps.supervisor.startMachine(machine.id);
    if (!started.managed) return this.supervise(started);
    await this.serveWhenHealthy(started, () =>
      this.deps.supervisor.stopMachine(started.id, { drain: false }),
    );
    return this.store.machines.get(machine.id)!;
  }

  /** Drains then stops it; it stays stopped (deploys move it to new releases without starting it). */
  async stop(app: string, idOrName: string): Promise<Machine> {
    const machine = this.find(app, idOrName);
    if (!isSupervised(machine.state)) {
      throw new BerthError('machine_conflict', `machine ${machine.id} is already ${machine.state}`, {
        hint: `Start it with \`berth machine start ${machine.id}\`, or destroy it with \`berth machine destroy ${machine.id}\`.`,
      });
    }
    await this.deps.supervisor.stopMachine(machine.id, { drain: true });
    return this.store.machines.get(machine.id)!;
  }

  async destroy(app: string, idOrName: string, force: boolean): Promise<Machine> {
    const machine = this.find(app, idOrName);
    if (machine.state === 'stopping') {
      throw new BerthError('machine_conflict', `machine ${machine.id} is already stopping`, {
        hint: 'Wait for it to stop, then destroy it.',
      });
    }
    if (isSupervised(machine.state) && !force) {
      throw new BerthError(
        'machine_conflict',
        `machine ${machine.id} is ${machine.state}; refusing to destroy it`,
        {
          hint: `Stop it first with \`berth machine stop ${machine.id}\`, or pass --force to drain and destroy it now.`,
        },
      );
    }
    await this.deps.supervisor.retire(machine.id, { drain: true });
    // A managed machine destroyed by hand shrinks its group for later deploys too.
    if (machine.managed) this.resizeGroup(app, machine.processGroup, true);
    return this.store.machines.get(machine.id)!;
  }

  status(app: string, idOrName: string): MachineStatus {
    const machine = this.find(app, idOrName);
    return { machine, events: this.store.events.recentForMachine(machine.id, 10) };
  }

  /** The release a machine of the app runs: the one asked for, else the current one. */
  async releaseFor(app: string, version: number | undefined): Promise<Release> {
    const current = this.store.apps.get(app)?.currentRelease ?? null;
    if (version === undefined) {
      const release = current === null ? undefined : this.store.releases.get(app, current);
      if (!release) {
        throw new BerthError('release_not_found', `app "${app}" has no release to run a machine from`, {
          hint: `Deploy it first with \`berth deploy -a ${app}\`.`,
        });
      }
      return release;
    }
    const release = this.store.releases.get(app, version);
    const driver = release && this.deps.drivers.get(release.driver);
    if (!release?.prepared || !driver || !(await driver.releaseAvailable(release.prepared))) {
      throw new BerthError('release_not_found', `app "${app}" has no release v${version} to run`, {
        hint: '`berth releases` lists the versions that exist; a release that failed before unpacking cannot run.',
      });
    }
    return release;
  }

  /** Unmanaged machines are supervised at once; they are never routed by the app's proxy. */
  private supervise(machine: Machine): Machine {
    this.store.machines.setState(machine.id, 'started');
    return this.store.machines.get(machine.id)!;
  }

  private async serveWhenHealthy(machine: Machine, undo: () => Promise<void>): Promise<void> {
    const outcome = await awaitMachineHealthy(this.deps, machine.id);
    if (!outcome.healthy) {
      await undo();
      throw new BerthError('scale_failed', outcome.reason, {
        hint: 'Read its logs with `berth logs --machine ID`; the machines already serving keep serving.',
      });
    }
    this.deps.supervisor.serve(machine.app, [machine.id], []);
  }

  /** Records a managed group's new size, when its size is being kept (or must be from now). */
  private resizeGroup(app: string, group: string, onlyIfScaled = false): void {
    const scaled = this.store.groupScales.get(app);
    if (onlyIfScaled && !(group in scaled)) return;
    this.store.groupScales.set(app, group, groupMembers(this.store, app, group).length);
  }

  /** An uploaded directory in the form the release's driver runs (not built), kept per digest. */
  private async prepareOneOff(release: Release, digest: string): Promise<PreparedRelease> {
    if (!this.deps.artifacts.has(digest)) {
      throw new BerthError('artifact_not_found', `artifact ${digest} has not been uploaded`);
    }
    return this.deps.drivers.forRelease(release).prepareRelease({
      app: release.app,
      releaseVersion: release.version,
      artifactPath: this.deps.artifacts.path(digest),
      artifactDigest: digest,
      build: { args: {} },
      env: buildEnv({ configEnv: release.config.env, app: release.app, releaseVersion: release.version }),
      maxUnpackedBytes: this.deps.maxUnpackedBytes,
      timeoutMs: ONE_OFF_PREPARE_MS,
      onProgress: () => {},
      oneOff: true,
    });
  }
}
