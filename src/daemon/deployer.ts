// Turns a release into running machines: unpack, build, start the new set, wait until it is
// ready, cut traffic over, retire the old set. Every step is recorded on the deployment and
// as events, which the CLI streams as progress. A failure before cutover changes nothing live.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/store.js';
import { unpackArchive } from '../artifacts/unpack.js';
import { runBuild } from '../build/run-build.js';
import { resolveCommands } from '../core/config/commands.js';
import { httpPortForGroup } from '../core/config/routing.js';
import type { AppConfig } from '../core/config/types.js';
import { BerthError } from '../core/errors.js';
import { machineEnv } from '../core/machine-env.js';
import type { Deployment, Release } from '../core/model.js';
import { planReplace } from '../core/planner/replace.js';
import type { MachineHandle } from '../drivers/driver.js';
import type { Store } from '../store/store.js';
import { releaseDir, type HomeLayout } from './home.js';
import { waitUntilReady } from './readiness.js';
import type { MachineSupervisor } from './supervisor.js';

export interface DeployRequest {
  app: string;
  artifactDigest: string;
  configFile: string;
  config: AppConfig;
  description: string;
  user: string;
}

/** Thrown inside a rollout to end it as failed with a message for the user. */
class RolloutFailure extends Error {}

const BUILD_TIMEOUT_MS = 15 * 60_000;
const SETTLE_MS = 1500;

export class Deployer {
  constructor(
    private readonly store: Store,
    private readonly supervisor: MachineSupervisor,
    private readonly artifacts: ArtifactStore,
    private readonly layout: HomeLayout,
    private readonly options: { maxUnpackedBytes: number },
  ) {}

  /** Makes release vN and starts rolling it out; returns once the release exists. */
  start(request: DeployRequest): { release: Release; deployment: Deployment; done: Promise<void> } {
    if (!this.artifacts.has(request.artifactDigest)) {
      throw new BerthError('artifact_not_found', `artifact ${request.artifactDigest} has not been uploaded`);
    }
    const running = this.store.deployments.running(request.app);
    if (running) {
      throw new BerthError(
        'deploy_in_progress',
        `app "${request.app}" is already deploying v${running.releaseVersion} (deployment ${running.id}, since ${running.startedAt})`,
      );
    }
    this.store.apps.create(request.app, request.user);
    const release = this.store.releases.create({
      app: request.app,
      description: request.description,
      createdBy: request.user,
      artifactDigest: request.artifactDigest,
      configFile: request.configFile,
      config: request.config,
    });
    const deployment = this.store.deployments.create(release.app, release.version, 'replace');
    this.progress(release, 'release.created', `release v${release.version} created by ${request.user}`);
    const done = this.run(release, deployment);
    return { release, deployment, done };
  }

  private progress(release: Release, kind: string, message: string, data?: Record<string, unknown>): void {
    this.store.events.append({ app: release.app, releaseVersion: release.version, kind, message, data });
  }

  private step(deployment: Deployment, step: string, state: Record<string, unknown> = {}): void {
    this.store.deployments.recordStep(deployment.id, step, state);
  }

  private async run(release: Release, deployment: Deployment): Promise<void> {
    const started: string[] = [];
    try {
      this.store.releases.setStatus(release.app, release.version, 'building');
      this.step(deployment, 'build');
      const dir = await this.prepareTree(release);
      const commands = this.commandsFor(release, dir);

      this.store.releases.setStatus(release.app, release.version, 'deploying');
      const plan = planReplace(
        { releaseVersion: release.version, commands },
        this.store.machines.listByApp(release.app),
      );
      this.step(deployment, 'start-machines', { plan });
      this.progress(
        release,
        'deploy.step',
        `starting ${plan.start.length} machine(s) for v${release.version}: ${describeGroups(plan.start)}`,
      );
      for (const { processGroup, command } of plan.start) {
        const machine = await this.supervisor.launch(release, processGroup, command);
        started.push(machine.id);
        this.step(deployment, 'start-machines', { plan, started });
      }

      this.step(deployment, 'wait-ready', { plan, started });
      await Promise.all(started.map((id) => this.waitReady(release, id)));

      this.step(deployment, 'cutover', { plan, started });
      this.supervisor.markStarted(started);
      for (const id of plan.retire) this.store.machines.setState(id, 'stopping');
      this.supervisor.syncRoutes(release.app);
      const previous = this.store.apps.get(release.app)?.currentRelease ?? null;
      this.store.apps.setCurrentRelease(release.app, release.version);
      this.progress(release, 'deploy.step', `traffic now goes to v${release.version}`);

      this.step(deployment, 'retire-old', { plan, started });
      if (plan.retire.length > 0) {
        this.progress(release, 'deploy.step', `draining and stopping ${plan.retire.length} old machine(s)`);
      }
      await Promise.all(plan.retire.map((id) => this.supervisor.retire(id)));

      if (previous !== null && previous !== release.version) {
        this.store.releases.setStatus(release.app, previous, 'superseded');
      }
      this.store.releases.setStatus(release.app, release.version, 'complete');
      this.store.deployments.finish(deployment.id, 'succeeded');
      this.step(deployment, 'done', { plan, started });
      this.progress(release, 'release.complete', `release v${release.version} is live`, {
        status: 'complete',
      });
    } catch (err) {
      const reason = err instanceof RolloutFailure || err instanceof BerthError ? err.message : String(err);
      await Promise.all(started.map((id) => this.supervisor.retire(id).catch(() => undefined)));
      this.store.releases.setStatus(release.app, release.version, 'failed', reason);
      this.store.deployments.finish(deployment.id, 'failed', reason);
      this.progress(release, 'release.failed', `release v${release.version} failed: ${reason}`, {
        status: 'failed',
        reason,
      });
    }
  }

  /** Unpacks the artifact into the release's own directory and runs its build command. */
  private async prepareTree(release: Release): Promise<string> {
    const dir = releaseDir(this.layout, release.app, release.version);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, '..'), { recursive: true });
    const unpacked = await unpackArchive(this.artifacts.path(release.artifactDigest), dir, {
      maxBytes: this.options.maxUnpackedBytes,
    });
    this.progress(
      release,
      'deploy.step',
      `unpacked ${release.artifactDigest.slice(0, 19)} (${unpacked.files} files)`,
    );
    const command = release.config.build.command;
    if (!command) return dir;
    this.progress(release, 'build.started', `building: ${command}`);
    const result = await runBuild({
      command,
      cwd: dir,
      env: machineEnv({
        hostEnv: process.env,
        configEnv: release.config.env,
        app: release.app,
        releaseVersion: release.version,
        machineId: 'build',
        processGroup: 'build',
      }),
      timeoutMs: BUILD_TIMEOUT_MS,
      onLine: (stream, line) => this.progress(release, 'build.output', line, { stream }),
    });
    if (!result.ok) {
      const why = result.timedOut ? 'timed out' : `exited with code ${result.exitCode ?? result.signal}`;
      throw new RolloutFailure(`build command "${command}" ${why}`);
    }
    this.progress(release, 'build.finished', `build finished in ${(result.durationMs / 1000).toFixed(1)}s`);
    return dir;
  }

  private commandsFor(release: Release, dir: string): Record<string, string> {
    const read = (name: string) =>
      existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined;
    const resolved = resolveCommands(release.config, {
      procfile: read('Procfile'),
      packageJson: read('package.json'),
    });
    if ('error' in resolved) throw resolved.error;
    return resolved.commands;
  }

  private async waitReady(release: Release, machineId: string): Promise<void> {
    const machine = this.store.machines.get(machineId)!;
    const handle = machine.handle as MachineHandle;
    const serves = httpPortForGroup(release.config, machine.processGroup) !== undefined;
    const outcome = await waitUntilReady({
      address: serves ? (handle.address ?? null) : null,
      isAlive: () => this.supervisor.isAlive(machineId),
      timeoutMs: release.config.deploy.waitTimeoutMs,
      settleMs: SETTLE_MS,
    });
    if (outcome.ready) {
      this.progress(release, 'machine.ready', `machine ${machineId} (${machine.processGroup}) is ready`);
      return;
    }
    const lines = await this.supervisor.recentLogLines(machineId);
    const tail = lines.length ? `\nlast log lines of ${machineId}:\n  ${lines.join('\n  ')}` : '';
    const why =
      outcome.reason === 'exited'
        ? `machine ${machineId} (${machine.processGroup}) exited before it was ready`
        : `machine ${machineId} (${machine.processGroup}) did not listen on its port within ${release.config.deploy.waitTimeoutMs / 1000}s (it must listen on $PORT)`;
    throw new RolloutFailure(why + tail);
  }

  /**
   * A daemon killed mid-rollout leaves a deployment marked running. Before cutover nothing is
   * live yet: retire the new machines and fail the release. After cutover the new release
   * serves: finish retiring the old machines and complete it.
   */
  async recover(): Promise<void> {
    for (const deployment of this.store.deployments.listRunning()) {
      const release = this.store.releases.get(deployment.app, deployment.releaseVersion);
      if (!release) continue;
      const current = this.store.apps.get(deployment.app)?.currentRelease;
      const machines = this.store.machines.listByApp(deployment.app).filter((m) => m.managed);
      if (current === release.version) {
        for (const m of machines.filter((m) => m.releaseVersion !== release.version))
          await this.supervisor.retire(m.id);
        this.store.releases.setStatus(release.app, release.version, 'complete');
        this.store.deployments.finish(deployment.id, 'succeeded');
        this.progress(
          release,
          'release.complete',
          `release v${release.version} is live (finished after a daemon restart)`,
          {
            status: 'complete',
          },
        );
      } else {
        for (const m of machines.filter((m) => m.releaseVersion === release.version))
          await this.supervisor.retire(m.id);
        const reason = 'the daemon stopped during the deployment; the previous release kept serving';
        this.store.releases.setStatus(release.app, release.version, 'failed', reason);
        this.store.deployments.finish(deployment.id, 'failed', reason);
        this.progress(release, 'release.failed', `release v${release.version} failed: ${reason}`, {
          status: 'failed',
          reason,
        });
      }
    }
  }
}

function describeGroups(starts: Array<{ processGroup: string }>): string {
  const counts = new Map<string, number>();
  for (const s of starts) counts.set(s.processGroup, (counts.get(s.processGroup) ?? 0) + 1);
  return [...counts].map(([group, n]) => `${group}×${n}`).join(', ') || 'none';
}
