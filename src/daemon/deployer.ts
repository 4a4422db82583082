// Turns a release into running machines: its driver prepares it (process: unpack and build;
// docker: an image), run the release command, then
// hand the rollout to the controller with the app's strategy. Each phase is recorded on the
// deployment, so a daemon killed at any point fails (before anything live changed) or resumes
// (during the rollout) on restart. Progress goes out as events the CLI streams.
import { randomUUID } from 'node:crypto';
import { hasRootFile } from '../artifacts/root-file.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { AppConfig, DeployStrategy } from '../core/config/types.js';
import { chooseDriver, type DriverChoice } from '../core/driver-choice.js';
import { DRIVER_NAMES, type DriverName, type PreparedRelease } from '../core/drivers.js';
import { checkPlacement } from './placement-check.js';
import { BerthError } from '../core/errors.js';
import { durationsOutOfRange } from '../core/config/stored-durations.js';
import { vmSizing } from '../core/config/vm.js';
import { hasHealthCheck } from '../core/health/checks-for-group.js';
import { buildEnv } from '../core/machine-env.js';
import type { Deployment, FailedMachineOutput, Release } from '../core/model.js';
import { summarizeChange, type SecretChange } from '../core/secret-change.js';
import type { Driver } from '../drivers/driver.js';
import type { Store } from '../store/store.js';
import type { DeployLocks } from './deploy-lock.js';
import type { DaemonDrivers } from './drivers.js';
import type { HealthMonitor } from './health/health-monitor.js';
import { releaseCommands } from './release-commands.js';
import { RolloutController } from './rollout/controller.js';
import { readMemory, type DeploymentMemory } from './rollout/memory.js';
import { noHook, type BeforeStep } from './rollout/step-hook.js';
import { runReleaseCommand } from './rollout/release-command.js';
import type { MachineSupervisor } from './supervisor.js';

export interface DeployRequest {
  app: string;
  artifactDigest: string;
  configFile: string;
  config: AppConfig;
  description: string;
  user: string;
  /** Overrides [deploy] wait_timeout. */
  waitTimeoutMs?: number;
  skipReleaseCommand?: boolean;
  /** How long to wait for another deploy's lock on the app; 0 fails at once. */
  lockWaitMs?: number;
  /** Make the app's staged secret changes current, under the lock, before the release is made. */
  applyStagedSecrets?: boolean;
  /** `berth deploy --driver NAME`: this deploy's driver, and the app's from now on. */
  driver?: DriverName;
  /** A rollback: the earlier release's prepared form, run as it is when its driver still has it. */
  reuse?: { version: number; driver: DriverName; prepared: PreparedRelease | null };
}

/** The app's secrets as the deployer needs them: never their values. */
export interface DeploySecrets {
  applyStaged(app: string): SecretChange | null;
  /** Digest of the current secret set, recorded on the release; null when there are none. */
  digest(app: string): string | null;
}

/** How a deployment ended, as the CLI's exit code tells it. */
export type DeployResult = 'complete' | 'failed' | 'reverted';

/** Thrown inside a deployment to end it as failed, before anything live changed. */
class DeployFailure extends Error {
  constructor(
    message: string,
    readonly output?: FailedMachineOutput,
  ) {
    super(message);
  }
}

/** How a deployment ended, for the release's record and its last event. */
interface Ending {
  reason?: string;
  output?: FailedMachineOutput;
  /** The release that served before (null: nothing did, a first deploy). */
  from: number | null;
}

const BUILD_TIMEOUT_MS = 15 * 60_000;

export interface DeployerDeps {
  store: Store;
  supervisor: MachineSupervisor;
  drivers: DaemonDrivers;
  artifacts: ArtifactStore;
  health: HealthMonitor;
  locks: DeployLocks;
  maxUnpackedBytes: number;
  hostFor(app: string): string;
  /** Refuses a deploy that the app's volumes make impossible, before anything changes. */
  checkVolumes?: (app: string, config: AppConfig, strategy: DeployStrategy, driver: Driver) => Promise<void>;
  /** Called after each deployment that went live, e.g. to prune old artifacts. */
  afterSuccess?: (app: string) => void;
  secrets?: DeploySecrets;
  /** Tests only: runs before each named step (see rollout/step-hook.ts). */
  beforeStep?: BeforeStep;
}

export class Deployer {
  constructor(private readonly deps: DeployerDeps) {}

  private get beforeStep(): BeforeStep {
    return this.deps.beforeStep ?? noHook;
  }

  private get store(): Store {
    return this.deps.store;
  }

  /**
   * Takes the app's deploy lock, makes release vN and starts rolling it out; returns once the
   * release exists. The lock is held (and renewed) until the deployment ends.
   */
  async start(
    request: DeployRequest,
  ): Promise<{ release: Release; deployment: Deployment; done: Promise<DeployResult> }> {
    const strategy = request.config.deploy.strategy;
    // Volumes block a move whether or not the other driver is here.
    if (request.driver) this.refuseVolumeMove(request.app, request.driver);
    const choice = await this.chooseDriver(request);
    const driver = this.deps.drivers.require(choice.driver);
    const reuse = await this.reusable(request, driver);
    if (!reuse && !this.deps.artifacts.has(request.artifactDigest)) {
      throw new BerthError('artifact_not_found', `artifact ${request.artifactDigest} has not been uploaded`);
    }
    if (strategy === 'bluegreen' && !hasHealthCheck(request.config)) {
      throw new BerthError(
        'invalid_config',
        'the bluegreen strategy needs a health check to know when to switch',
        {
          hint: 'Add [[http_service.checks]] (e.g. path = "/healthz") or [checks.NAME], or use strategy = "rolling".',
        },
      );
    }
    const outOfRange = durationsOutOfRange(request.config);
    if (outOfRange.length > 0) {
      throw new BerthError(
        'invalid_config',
        `the config of this release has durations berth cannot wait out: ${outOfRange.join('; ')}`,
        {
          hint: 'It was stored before durations had ranges (a rollback or secrets change reuses it as it is): deploy the app again with those keys in range.',
        },
      );
    }
    this.refuseVolumeMove(request.app, choice.driver);
    await this.deps.checkVolumes?.(request.app, request.config, strategy, driver);
    const placementNotes = await checkPlacement(request.config, driver);
    const lease = await this.deps.locks.acquire(request.app, {
      owner: `${request.description} by ${request.user} (${randomUUID().slice(0, 8)})`,
      user: request.user,
      waitMs: request.lockWaitMs ?? 0,
    });
    try {
      const started = this.begin(request, choice, reuse, placementNotes);
      if (lease.tookOver) {
        this.progress(
          started.release,
          'lock.taken_over',
          `took over an expired deploy lock: ${lease.tookOver.owner}`,
        );
      }
      return { ...started, done: started.done.finally(() => lease.release()) };
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /**
   * A new release of the current release's artifact and config, deployed like any other (lock,
   * release command, the app's strategy); undefined when the app has no release yet.
   */
  async redeployCurrent(
    app: string,
    request: Pick<DeployRequest, 'description' | 'user' | 'lockWaitMs' | 'applyStagedSecrets'>,
  ): Promise<Awaited<ReturnType<Deployer['start']>> | undefined> {
    const current = this.store.apps.get(app)?.currentRelease ?? null;
    const release = current === null ? undefined : this.store.releases.get(app, current);
    if (!release) return undefined;
    return this.start({
      ...request,
      app,
      artifactDigest: release.artifactDigest,
      configFile: release.configFile,
      config: release.config,
      reuse: { version: release.version, driver: release.driver, prepared: release.prepared },
    });
  }

  /** The deploy's driver and why, refused before anything changes when this daemon lacks it. */
  private async chooseDriver(request: DeployRequest): Promise<DriverChoice> {
    const { build } = request.config;
    const looksForDockerfile =
      !build.image && !build.dockerfile && !request.driver && this.deps.artifacts.has(request.artifactDigest);
    const rootDockerfile = looksForDockerfile
      ? await hasRootFile(this.deps.artifacts.path(request.artifactDigest), 'Dockerfile')
      : false;
    const drivers = this.deps.drivers;
    return chooseDriver({
      ...(request.driver ? { requested: request.driver } : {}),
      appDriver: this.store.apps.get(request.app)?.driver ?? null,
      build: {
        ...(build.image && { image: build.image }),
        ...(build.dockerfile && { dockerfile: build.dockerfile }),
        rootDockerfile,
      },
      hasProcesses: Object.keys(request.config.processes).length > 0,
      serverDefault: drivers.default,
      available: drivers.names(),
      unavailable: Object.fromEntries(
        DRIVER_NAMES.flatMap((name) => {
          const missing = drivers.unavailable(name);
          return missing ? [[name, missing]] : [];
        }),
      ),
    });
  }

  /** A rollback's earlier release, when it is on this driver and the driver still has it. */
  private async reusable(request: DeployRequest, driver: Driver): Promise<PreparedRelease | undefined> {
    const prepared = request.reuse?.prepared;
    if (!prepared || request.reuse?.driver !== driver.name || prepared.driver !== driver.name)
      return undefined;
    return (await driver.releaseAvailable(prepared)) ? prepared : undefined;
  }

  /** Volumes live on their driver's storage: an app that has some cannot move to another driver. */
  private refuseVolumeMove(app: string, driver: DriverName): void {
    const current = this.store.apps.get(app)?.driver ?? null;
    if (current === null || current === driver) return;
    const volumes = this.store.volumes.listByApp(app);
    if (volumes.length === 0) return;
    const names = volumes.map((v) => `${v.id} (${v.name})`).join(', ');
    throw new BerthError(
      'driver_move_blocked',
      `app "${app}" runs on the ${current} driver and has volumes there (${names}); they cannot move to the ${driver} driver`,
      {
        hint: `Keep the app on ${current} (deploy with --driver ${current}), or destroy its volumes first with \`berth volumes destroy ID -a ${app}\` (their data is lost) and deploy again.`,
      },
    );
  }

  private begin(
    request: DeployRequest,
    choice: DriverChoice,
    reuse: PreparedRelease | undefined,
    placementNotes: string[] = [],
  ): {
    release: Release;
    deployment: Deployment;
    done: Promise<DeployResult>;
  } {
    const strategy = request.config.deploy.strategy;
    // The lock makes this rare: a deployment resumed after a restart may still be running.
    const running = this.store.deployments.running(request.app);
    if (running) {
      throw new BerthError(
        'deploy_in_progress',
        `app "${request.app}" is already deploying v${running.releaseVersion} (deployment ${running.id}, since ${running.startedAt})`,
      );
    }
    if (this.store.apps.create(request.app, request.user)) {
      this.store.events.append({
        app: request.app,
        kind: 'app.created',
        message: `app ${request.app} created by ${request.user} with its first deploy`,
      });
    }
    const from = this.store.apps.get(request.app)?.currentRelease ?? null;
    const appliedSecrets = request.applyStagedSecrets
      ? (this.deps.secrets?.applyStaged(request.app) ?? null)
      : null;
    const release = this.store.releases.create({
      app: request.app,
      description: request.description,
      createdBy: request.user,
      artifactDigest: request.artifactDigest,
      configFile: request.configFile,
      config: request.config,
      secretsDigest: this.deps.secrets?.digest(request.app) ?? null,
      driver: choice.driver,
    });
    const deployment = this.store.deployments.create(release.app, release.version, strategy);
    const memory: DeploymentMemory = {
      phase: 'build',
      strategy,
      from,
      counts: {},
      commands: {},
      previousCounts: {},
      previousCommands: {},
      waitTimeoutMs: request.waitTimeoutMs ?? request.config.deploy.waitTimeoutMs,
    };
    this.remember(deployment, memory);
    this.progress(release, 'release.created', `release v${release.version} created by ${request.user}`);
    this.progress(release, 'deploy.driver', `driver ${choice.driver}: ${choice.reason}`, {
      driver: choice.driver,
    });
    const sizing = vmSizing(request.config.vm);
    if (sizing && !this.deps.drivers.get(choice.driver)?.appliesLimits) {
      this.progress(
        release,
        'deploy.note',
        `note: [[vm]] ${sizing} is not applied by the ${choice.driver} driver; it limits containers on the docker driver`,
      );
    }
    for (const note of placementNotes) this.progress(release, 'deploy.note', `note: ${note}`);
    if (appliedSecrets) {
      this.progress(release, 'secrets.applied', `secrets applied: ${summarizeChange(appliedSecrets)}`, {
        set: appliedSecrets.set,
        unset: appliedSecrets.unset,
      });
    }
    const reused = reuse && request.reuse ? { version: request.reuse.version, prepared: reuse } : undefined;
    const done = this.run(release, deployment, memory, !!request.skipReleaseCommand, reused);
    return { release, deployment, done };
  }

  private remember(deployment: Deployment, memory: DeploymentMemory): void {
    this.store.deployments.recordStep(
      deployment.id,
      memory.phase,
      memory as unknown as Record<string, unknown>,
    );
  }

  progress(
    release: Release,
    kind: string,
    message: string,
    data?: Record<string, unknown>,
    machineId?: string,
  ): void {
    // A deployment resumed after a restart is still its creator's.
    this.store.events.append({
      app: release.app,
      releaseVersion: release.version,
      kind,
      message,
      data,
      actor: release.createdBy,
      ...(machineId && { machineId }),
    });
  }

  private async run(
    release: Release,
    deployment: Deployment,
    memory: DeploymentMemory,
    skipReleaseCommand: boolean,
    reuse?: { version: number; prepared: PreparedRelease },
  ): Promise<DeployResult> {
    try {
      this.store.releases.setStatus(release.app, release.version, 'building');
      await this.beforeStep('build');
      const prepared = await this.prepare(release, reuse);
      this.store.releases.setPrepared(release.app, release.version, prepared);
      release = { ...release, prepared };
      memory = { ...memory, ...(await this.groupsFor(release, memory.from)) };
      this.remember(deployment, memory);

      const command = release.config.deploy.releaseCommand;
      if (command && !skipReleaseCommand) {
        memory = { ...memory, phase: 'release-command' };
        this.remember(deployment, memory);
        await this.beforeStep('release-command');
        await this.releaseCommand(release, deployment, memory, command);
      } else if (command) {
        this.progress(release, 'deploy.step', `release command skipped (--skip-release-command): ${command}`);
      }
    } catch (err) {
      const reason =
        err instanceof BerthError
          ? `${err.message}\n  hint: ${err.hint}`
          : err instanceof DeployFailure
            ? err.message
            : String(err);
      const output = err instanceof DeployFailure ? err.output : undefined;
      return this.finish(release, deployment, 'failed', {
        reason,
        from: memory.from,
        ...(output && { output }),
      });
    }
    memory = { ...memory, phase: 'rollout' };
    this.remember(deployment, memory);
    return this.rollout(release, deployment, memory);
  }

  private async rollout(
    release: Release,
    deployment: Deployment,
    memory: DeploymentMemory,
  ): Promise<DeployResult> {
    this.store.releases.setStatus(release.app, release.version, 'deploying');
    if (memory.phase === 'rollout') {
      // Said on every deploy where machines are not each app's own user: it is a security fact.
      const isolation = await this.deps.drivers.forRelease(release).isolation?.();
      if (isolation && !isolation.ownUsers) {
        this.progress(release, 'deploy.isolation', `note: ${isolation.summary}`, {
          homeHidden: isolation.homeHidden,
          processesContained: isolation.processesContained,
        });
      }
      const withVolumes = release.config.mounts.length > 0 && memory.from !== null;
      this.progress(release, 'deploy.step', describeStrategy(memory.strategy, memory.counts, withVolumes));
    }
    const controller = new RolloutController(
      {
        store: this.store,
        supervisor: this.deps.supervisor,
        health: this.deps.health,
        beforeStep: this.beforeStep,
        hostFor: this.deps.hostFor,
        progress: (r, kind, message, data, machineId) => this.progress(r, kind, message, data, machineId),
      },
      deployment,
      release,
      memory,
    );
    try {
      const outcome = await controller.run();
      if (outcome.status === 'succeeded')
        return this.finish(release, deployment, 'complete', { from: memory.from });
      return this.finish(release, deployment, outcome.status, {
        reason: outcome.reason,
        from: memory.from,
        ...(outcome.output && { output: outcome.output }),
      });
    } catch (err) {
      return this.finish(release, deployment, 'failed', {
        reason: `the rollout stopped: ${String(err)}`,
        from: memory.from,
      });
    }
  }

  private finish(
    release: Release,
    deployment: Deployment,
    result: DeployResult,
    ending: Ending,
  ): DeployResult {
    const { reason, output, from } = ending;
    if (result === 'complete') {
      const previous = this.store.apps.get(release.app)?.currentRelease ?? null;
      this.store.apps.setCurrentRelease(release.app, release.version);
      // The app moves to the release's driver only once it serves: a failed move leaves it where it was.
      this.store.apps.setDriver(release.app, release.driver);
      if (previous !== null && previous !== release.version) {
        this.store.releases.setStatus(release.app, previous, 'superseded');
      }
      this.store.releases.setStatus(release.app, release.version, 'complete');
      this.store.deployments.finish(deployment.id, 'succeeded');
      this.progress(release, 'release.complete', `release v${release.version} is live`, {
        status: 'complete',
      });
      this.deps.afterSuccess?.(release.app);
      return result;
    }
    this.store.releases.setStatus(release.app, release.version, 'failed', reason ?? null, output ?? null);
    this.store.deployments.finish(
      deployment.id,
      result === 'reverted' ? 'reverted' : 'failed',
      reason ?? null,
    );
    // A reverted release's reason was printed when the revert began.
    const serving =
      from === null
        ? `nothing was serving before it (the app's first deploy), so ${release.app} is not deployed`
        : `v${from} keeps serving`;
    const message =
      result === 'reverted'
        ? `release v${release.version} failed and was reverted; ${serving}`
        : `release v${release.version} failed: ${reason}\n${serving}`;
    this.progress(release, 'release.failed', message, {
      status: result,
      reason,
      previousRelease: from,
      ...(output && { machineId: output.machineId }),
    });
    return result;
  }

  /** The release's runnable form, made by its driver (or an earlier release's, on a rollback). */
  private async prepare(
    release: Release,
    reuse?: { version: number; prepared: PreparedRelease },
  ): Promise<PreparedRelease> {
    const driver = this.deps.drivers.forRelease(release);
    if (reuse) {
      this.progress(release, 'build.step', `runs v${reuse.version}'s build as it is (${driver.name} driver)`);
      return reuse.prepared;
    }
    return driver.prepareRelease({
      app: release.app,
      releaseVersion: release.version,
      artifactPath: this.deps.artifacts.path(release.artifactDigest),
      artifactDigest: release.artifactDigest,
      build: release.config.build,
      env: buildEnv({ configEnv: release.config.env, app: release.app, releaseVersion: release.version }),
      maxUnpackedBytes: this.deps.maxUnpackedBytes,
      timeoutMs: BUILD_TIMEOUT_MS,
      onProgress: (event) => {
        if (event.kind === 'output') {
          this.progress(release, 'build.output', event.line, { stream: event.stream ?? 'stdout' });
        } else if (event.kind === 'note') {
          this.progress(release, 'build.note', `note: ${event.line}`);
        } else {
          this.progress(release, 'build.step', event.line);
        }
      },
    });
  }

  /** The new release's process groups and commands, and the sizes to keep. */
  private async groupsFor(release: Release, from: number | null): Promise<Partial<DeploymentMemory>> {
    const commands = await releaseCommands(this.deps.drivers, release);
    const managed = this.store.machines
      .listByApp(release.app)
      .filter((m) => m.managed && m.state !== 'destroyed' && m.state !== 'stopping');
    // A group someone scaled keeps that size; otherwise the machines it has (a new group: 1).
    const scaled = this.store.groupScales.get(release.app);
    const counts: Record<string, number> = {};
    for (const group of Object.keys(commands)) {
      counts[group] = scaled[group] ?? Math.max(1, managed.filter((m) => m.processGroup === group).length);
    }
    const previousCounts: Record<string, number> = {};
    const previousCommands: Record<string, string> = {};
    for (const m of managed.filter((m) => m.releaseVersion === from)) {
      previousCounts[m.processGroup] = (previousCounts[m.processGroup] ?? 0) + 1;
      previousCommands[m.processGroup] = m.command;
    }
    return { counts, commands, previousCounts, previousCommands };
  }

  private async releaseCommand(
    release: Release,
    deployment: Deployment,
    memory: DeploymentMemory,
    command: string,
  ): Promise<void> {
    this.progress(release, 'release_command.started', `running release command: ${command}`);
    const result = await runReleaseCommand({
      store: this.store,
      drivers: this.deps.drivers,
      supervisor: this.deps.supervisor,
      release,
      command,
      onMachine: (machineId) => this.remember(deployment, { ...memory, releaseCommandMachine: machineId }),
      onLine: (line) => this.progress(release, 'release_command.output', line),
    });
    if (!result.ok) throw new DeployFailure(result.reason, result.output);
    this.progress(release, 'release_command.finished', 'release command succeeded');
  }

  /**
   * Deployments a killed daemon left running. Before the rollout nothing live changed: clean
   * up and fail. During the rollout: resume it where the planners say it stands.
   */
  async recover(): Promise<void> {
    for (const deployment of this.store.deployments.listRunning()) {
      const release = this.store.releases.get(deployment.app, deployment.releaseVersion);
      const memory = readMemory(deployment.state);
      if (!release || !memory) continue;
      // The lock belonged to the daemon that died; this one carries the deployment on.
      this.store.locks.release(deployment.app);
      if (memory.phase === 'build' || memory.phase === 'release-command') {
        if (memory.releaseCommandMachine)
          await this.deps.supervisor.retire(memory.releaseCommandMachine, { drain: false });
        this.finish(release, deployment, 'failed', {
          reason: `the daemon stopped during the ${memory.phase}; nothing live changed`,
          from: memory.from,
        });
        continue;
      }
      this.progress(
        release,
        'deploy.step',
        `resuming the deployment after a daemon restart (${memory.phase})`,
      );
      const lease = await this.deps.locks.acquire(deployment.app, {
        owner: `deployment ${deployment.id} (resumed)`,
        user: release.createdBy,
      });
      void this.rollout(release, deployment, memory).finally(() => lease.release());
    }
  }
}

function describeStrategy(
  strategy: DeployStrategy,
  counts: Record<string, number>,
  withVolumes = false,
): string {
  const sizes = Object.entries(counts)
    .map(([group, n]) => `${group}×${n}`)
    .join(', ');
  switch (strategy) {
    case 'immediate':
      return `replacing every machine at once (${sizes}) with the immediate strategy: requests may fail until the new machines are up`;
    case 'bluegreen':
      return `starting a full new set (${sizes}) beside the old one (bluegreen)`;
    case 'canary':
      return `starting one canary machine, then rolling the rest (${sizes})`;
    case 'rolling':
      if (withVolumes)
        return `rolling out ${sizes}: machines with volumes stop, then start on the new release, a batch at a time`;
      return `rolling out ${sizes}, each replacement healthy before an old machine is drained`;
  }
}
