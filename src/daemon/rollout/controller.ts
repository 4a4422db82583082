// The rollout controller: the only place that turns the planners' decisions into actions.
// Observe the app's machines, ask the planner for the next action, record it in the
// deployment's row, apply it, record that it was applied, and repeat. A daemon killed at any
// point resumes by observing again: the planners need no memory of what came before.
import { httpPortForGroup } from '../../core/config/routing.js';
import { checksForGroup } from '../../core/health/checks-for-group.js';
import { maxUnhealthyChecksOf } from '../../core/health/unhealthy-streak.js';
import type { FailedMachineOutput } from '../../core/model.js';
import type { Deployment, Release } from '../../core/model.js';
import type { Machine } from '../../store/machines.js';
import { planNext, revertTarget } from '../../core/rollout/plan.js';
import { mountsForGroup } from '../../core/volumes/deploy-checks.js';
import type {
  MachineHealth,
  RolloutAction,
  RolloutMachine,
  RolloutTarget,
} from '../../core/rollout/types.js';
import type { Store } from '../../store/store.js';
import { unhealthyReason, type HealthMonitor, type WaitHealthyOutcome } from '../health/health-monitor.js';
import type { MachineSupervisor } from '../supervisor.js';
import type { DeploymentMemory } from './memory.js';
import type { BeforeStep } from './step-hook.js';

export type RolloutOutcome =
  { status: 'succeeded' } | { status: 'reverted' | 'failed'; reason: string; output?: FailedMachineOutput };

export interface ControllerDeps {
  store: Store;
  supervisor: MachineSupervisor;
  health: HealthMonitor;
  beforeStep: BeforeStep;
  /** The app's hostname, sent as Host by HTTP checks. */
  hostFor(app: string): string;
  /** A progress event of the release; `machineId` when it is about one machine. */
  progress(
    release: Release,
    kind: string,
    message: string,
    data?: Record<string, unknown>,
    machineId?: string,
  ): void;
}

const SETTLE_MS = 1500;
const LIVE_STATES = new Set(['starting', 'started', 'restarting', 'stranded', 'stopped']);

export class RolloutController {
  /** Health learnt during this run; machines not in it are observed as pending. */
  private readonly health = new Map<string, MachineHealth>();
  private readonly failureDetail = new Map<string, string>();
  /** What each failed machine last printed, taken when it failed (it may be gone after). */
  private readonly failureOutput = new Map<string, FailedMachineOutput>();
  /** The first failure's output, kept through the revert for the release's record. */
  private failedOutput: FailedMachineOutput | undefined;

  constructor(
    private readonly deps: ControllerDeps,
    private readonly deployment: Deployment,
    private readonly release: Release,
    private memory: DeploymentMemory,
  ) {}

  async run(): Promise<RolloutOutcome> {
    await this.finishInterruptedInPlace();
    for (;;) {
      const reverting = this.memory.phase === 'revert';
      const target = reverting ? this.revertingTo() : this.forwardTarget();
      const action = planNext(await this.observe(), target);
      this.record(action, false);
      await this.deps.beforeStep(reverting ? `revert-${action.kind}` : action.kind);
      if (action.kind === 'done') {
        this.record(action, true);
        return reverting
          ? {
              status: 'reverted',
              reason: this.memory.failure ?? 'reverted',
              ...(this.failedOutput && { output: this.failedOutput }),
            }
          : { status: 'succeeded' };
      }
      if (action.kind === 'fail') {
        const detail = action.machineIds.map((id) => this.failureDetail.get(id)).filter(Boolean);
        const reason = detail.length > 0 ? detail.join('\n') : action.reason;
        this.failedOutput ??= action.machineIds
          .map((id) => this.failureOutput.get(id))
          .find((o) => o !== undefined);
        if (reverting)
          return {
            status: 'failed',
            reason: `${this.memory.failure}; the revert failed too: ${reason}`,
            ...(this.failedOutput && { output: this.failedOutput }),
          };
        this.memory = { ...this.memory, phase: 'revert', failure: reason };
        this.say(
          'deploy.reverting',
          `${reason}\nreverting to ${this.memory.from === null ? 'nothing (first deploy)' : `v${this.memory.from}`}`,
          machinesData(action.machineIds),
        );
        this.record(action, true);
        continue;
      }
      try {
        await this.apply(action, target);
      } catch (err) {
        // A step the driver could not carry out (a node lost while a machine was placed on it)
        // ends the forward rollout like a failed machine: reverted, never left half-way.
        if (reverting) throw err;
        const reason = `${action.kind} failed: ${err instanceof Error ? err.message : String(err)}`;
        this.memory = { ...this.memory, phase: 'revert', failure: reason };
        this.say(
          'deploy.reverting',
          `${reason}\nreverting to ${this.memory.from === null ? 'nothing (first deploy)' : `v${this.memory.from}`}`,
        );
        this.record(action, true);
        continue;
      }
      this.record(action, true);
    }
  }

  private forwardTarget(): RolloutTarget {
    const config = this.release.config;
    return {
      release: this.release.version,
      strategy: this.memory.strategy,
      counts: this.memory.counts,
      maxUnavailable: config.deploy.maxUnavailable,
      mountGroups: this.mountGroups(this.release, this.memory.counts),
    };
  }

  private revertingTo(): RolloutTarget {
    const forward = this.forwardTarget();
    const target = revertTarget(forward, this.memory.from, this.memory.previousCounts);
    const previous =
      this.memory.from === null
        ? undefined
        : this.deps.store.releases.get(this.release.app, this.memory.from);
    return { ...target, mountGroups: previous ? this.mountGroups(previous, target.counts) : [] };
  }

  /** The groups a release gives volumes: their machines are replaced in place. */
  private mountGroups(release: Release, counts: Record<string, number>): string[] {
    return Object.keys(counts).filter((group) => mountsForGroup(release.config, group).length > 0);
  }

  /**
   * A daemon killed while replacing machines in place may have left one drained, stopped or
   * half-started: finish that step before planning again, so it ends on the target release.
   */
  private async finishInterruptedInPlace(): Promise<void> {
    const action = this.memory.action;
    if (action?.kind !== 'replace-in-place' || this.memory.applied !== false) return;
    const target = this.memory.phase === 'revert' ? this.revertingTo() : this.forwardTarget();
    this.say(
      'deploy.step',
      `finishing the in-place replacement of ${describe(action.machineIds)}`,
      machinesData(action.machineIds),
    );
    await this.apply(action, target);
    this.record(action, true);
  }

  private record(action: RolloutAction, applied: boolean): void {
    this.memory = { ...this.memory, action, applied };
    this.deps.store.deployments.recordStep(
      this.deployment.id,
      `${this.memory.phase}:${action.kind}`,
      this.memory as unknown as Record<string, unknown>,
    );
  }

  /**
   * A progress event. One about exactly one machine carries its id (`machineId`, which `--json`
   * readers filter on): given, or the only one of `data.machineIds`.
   */
  private say(kind: string, message: string, data?: Record<string, unknown>, machineId?: string): void {
    const ids = data?.machineIds;
    const only = Array.isArray(ids) && ids.length === 1 ? (ids[0] as string) : undefined;
    this.deps.progress(this.release, kind, message, data, machineId ?? only);
  }

  /** Splits machines into those the proxy routes to (their group serves HTTP) and the rest. */
  private byTraffic(ids: string[]): { routed: string[]; quiet: Array<{ id: string; group: string }> } {
    const routed: string[] = [];
    const quiet: Array<{ id: string; group: string }> = [];
    for (const id of ids) {
      const machine = this.deps.store.machines.get(id);
      const release = machine && this.deps.store.releases.get(machine.app, machine.releaseVersion);
      if (!machine || !release || httpPortForGroup(release.config, machine.processGroup) !== undefined)
        routed.push(id);
      else quiet.push({ id, group: machine.processGroup });
    }
    return { routed, quiet };
  }

  /** The app's managed machines as the planners see them. */
  private async observe(): Promise<RolloutMachine[]> {
    const machines = this.deps.store.machines
      .listByApp(this.release.app)
      .filter((m) => m.managed && LIVE_STATES.has(m.state));
    const observed: RolloutMachine[] = [];
    for (const m of machines) {
      let health: MachineHealth = m.serving ? 'healthy' : (this.health.get(m.id) ?? 'pending');
      // A machine that passed its checks but is not routed yet may have died since.
      if (!m.serving && health === 'healthy' && !(await this.deps.supervisor.isAlive(m.id)))
        health = 'exited';
      observed.push({
        id: m.id,
        group: m.processGroup,
        release: m.releaseVersion,
        state: m.state === 'stopped' ? 'stopped' : m.state === 'starting' ? 'starting' : 'running',
        health,
        serving: m.serving,
        hasVolume: this.deps.store.volumes.listByMachine(m.id).length > 0,
      });
    }
    return observed;
  }

  private async apply(action: RolloutAction, target: RolloutTarget): Promise<void> {
    switch (action.kind) {
      case 'start':
        return this.start(action.machines, target, action.waitForHealth);
      case 'await-health':
        await Promise.all(action.machineIds.map((id) => this.awaitHealth(id)));
        return;
      case 'serve': {
        this.deps.supervisor.serve(this.release.app, action.add, action.remove);
        // Only machines of a group with an HTTP service are routed: the others (workers) are
        // supervised from now on, and said to take no traffic.
        const add = this.byTraffic(action.add);
        const remove = this.byTraffic(action.remove).routed;
        const data = machinesData(add.routed, remove);
        if (remove.length > 0 && add.routed.length > 0) {
          this.say(
            'deploy.step',
            `cutover: ${describe(add.routed)} now take traffic instead of ${describe(remove)}`,
            data,
          );
        } else if (add.routed.length > 0) {
          this.say(
            'deploy.step',
            `${describe(add.routed)} now take${add.routed.length === 1 ? 's' : ''} traffic`,
            data,
          );
        } else if (remove.length > 0) {
          this.say('deploy.step', `${describe(remove)} no longer take traffic`, data);
        }
        for (const { id, group } of add.quiet) {
          this.say(
            'deploy.step',
            `machine ${id} (${group}) is running; it takes no traffic: no [http_service] or [[services]] serves the ${group} group`,
            { routed: false },
            id,
          );
        }
        return;
      }
      case 'retire':
        if (action.drain)
          this.say('deploy.step', `draining ${describe(action.machineIds)}`, machinesData(action.machineIds));
        await Promise.all(
          action.machineIds.map(async (id) => {
            await this.deps.supervisor.retire(id, { drain: action.drain });
            const message = `machine ${id} ${action.drain ? 'drained and ' : ''}stopped`;
            this.say('machine.retired', message, undefined, id);
          }),
        );
        return;
      case 'replace-in-place':
        return this.replaceInPlace(action.machineIds, target, action.waitForHealth);
      case 'update-stopped': {
        const commands = this.commandsFor(target.release);
        for (const id of action.machineIds) {
          const machine = this.deps.store.machines.get(id)!;
          this.deps.store.machines.moveToRelease(
            id,
            target.release,
            commands[machine.processGroup] ?? machine.command,
          );
        }
        this.say(
          'deploy.step',
          `${describe(action.machineIds)} (stopped) moved to v${target.release}; they stay stopped`,
          machinesData(action.machineIds),
        );
        return;
      }
    }
  }

  private commandsFor(release: number): Record<string, string> {
    return release === this.release.version ? this.memory.commands : this.memory.previousCommands;
  }

  private async start(
    starts: Array<{ group: string }>,
    target: RolloutTarget,
    waitForHealth: boolean,
  ): Promise<void> {
    const release =
      target.release === this.release.version
        ? this.release
        : this.deps.store.releases.get(this.release.app, target.release)!;
    const commands = this.commandsFor(target.release);
    for (const { group } of starts) {
      const machine = await this.deps.supervisor.launch(release, group, commands[group]!);
      if (!waitForHealth) this.health.set(machine.id, 'healthy');
    }
  }

  private async replaceInPlace(ids: string[], target: RolloutTarget, waitForHealth: boolean): Promise<void> {
    const release =
      target.release === this.release.version
        ? this.release
        : this.deps.store.releases.get(this.release.app, target.release)!;
    const commands = this.commandsFor(target.release);
    this.say(
      'deploy.step',
      `machines with volumes are replaced in place: stop, then start (${describe(ids)} to v${release.version})`,
      machinesData(ids),
    );
    await Promise.all(
      ids.map(async (id) => {
        const machine = this.deps.store.machines.get(id);
        if (!machine) return;
        // Health learnt on its previous release says nothing about the next one.
        this.health.delete(id);
        this.failureDetail.delete(id);
        const command = commands[machine.processGroup] ?? machine.command;
        const started = await this.deps.supervisor.replaceInPlace(id, release, command);
        if (started && !waitForHealth) this.health.set(id, 'healthy');
      }),
    );
  }

  private async awaitHealth(machineId: string): Promise<void> {
    const machine = this.deps.store.machines.get(machineId);
    if (!machine) return;
    const release = this.deps.store.releases.get(machine.app, machine.releaseVersion)!;
    if (!machine.handle) {
      this.health.set(machineId, 'exited');
      return;
    }
    const checks = checksForGroup(release.config, machine.processGroup);
    const port = httpPortForGroup(release.config, machine.processGroup);
    const serves = port !== undefined;
    let outcome: WaitHealthyOutcome | undefined;
    let current = machine;
    while (outcome === undefined) {
      // The driver may start the machine again elsewhere while it is awaited (swarm: its node
      // was lost): the wait then begins again at its new address, with a wait_timeout of its own.
      const moved = new AbortController();
      const deadline = Date.now() + this.memory.waitTimeoutMs;
      try {
        outcome = await this.deps.health.waitHealthy({
          machineId,
          address: serves || checks.length > 0 ? current.address : null,
          checks,
          hostHeader: this.deps.hostFor(machine.app),
          startedAt: current.startedAt ? Date.parse(current.startedAt) : Date.now(),
          deadline,
          settleMs: SETTLE_MS,
          isAlive: async () => {
            const seen = await this.deps.supervisor.aliveOrMoved(machineId);
            if (seen === 'moved') moved.abort();
            return seen !== 'dead';
          },
          onProgress: (line) => this.say('machine.check', line, undefined, machineId),
          onWaiting: ({ message, ...data }) => this.say('deploy.waiting', message, data, machineId),
          listeningPorts: () => this.deps.supervisor.listeningPorts(machineId),
          maxUnhealthyChecks: maxUnhealthyChecksOf(release.config.deploy),
          signal: moved.signal,
          ...(port !== undefined && { internalPort: port }),
        });
      } catch (err) {
        if (!moved.signal.aborted) throw err;
        const placed = await this.placedAgain(machineId, serves || checks.length > 0, deadline);
        if (!placed) {
          outcome = { state: 'timeout', lastFailure: 'moved by its driver and not placed again' };
          break;
        }
        current = placed;
        this.say(
          'deploy.waiting',
          `machine ${machineId} was started again${placed.address ? ` at ${placed.address}` : ''}; waiting for its health there`,
          { machineId, address: placed.address },
          machineId,
        );
      }
    }
    if (outcome.state === 'healthy') {
      this.health.set(machineId, 'healthy');
      const message = `machine ${machineId} (${machine.processGroup}) is healthy`;
      this.say('machine.healthy', message, undefined, machineId);
      return;
    }
    this.health.set(machineId, outcome.state === 'exited' ? 'exited' : 'unhealthy');
    if (outcome.state === 'wrong_port') {
      this.say(
        'machine.wrong_port',
        `machine ${machineId}: listening on port ${outcome.ports.join(', ')}, not on its $PORT (${outcome.expected})`,
        { machineId, code: 'wrong_port', ports: outcome.ports },
        machineId,
      );
    }
    const why = unhealthyReason(outcome, this.memory.waitTimeoutMs);
    this.failureDetail.set(machineId, await this.logTail(machine, why));
  }

  /** The machine once its driver runs it again after a move (with an address when it needs one). */
  private async placedAgain(
    machineId: string,
    needsAddress: boolean,
    deadline: number,
  ): Promise<Machine | undefined> {
    for (;;) {
      const machine = this.deps.store.machines.get(machineId);
      if (!machine?.handle || machine.state !== 'starting') return undefined;
      if (!needsAddress || machine.address) return machine;
      if (Date.now() > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await this.deps.supervisor.aliveOrMoved(machineId).catch(() => 'alive');
    }
  }

  private async logTail(machine: Machine, why: string): Promise<string> {
    const lines = await this.deps.supervisor.recentLogLines(machine.id).catch(() => []);
    this.failureOutput.set(machine.id, {
      machineId: machine.id,
      processGroup: machine.processGroup,
      reason: why,
      lines,
      at: new Date().toISOString(),
    });
    const tail = lines.length ? `\n  last log lines of ${machine.id}:\n    ${lines.join('\n    ')}` : '';
    return `machine ${machine.id}: ${why}${tail}`;
  }
}

/** The machines an event is about, for --json readers: added (or named) and removed ones. */
function machinesData(ids: string[], removed: string[] = []): Record<string, unknown> {
  return removed.length > 0 ? { machineIds: ids, removedMachineIds: removed } : { machineIds: ids };
}

function describe(ids: string[]): string {
  return ids.length === 1 ? `machine ${ids[0]}` : `machines ${ids.join(', ')}`;
}
