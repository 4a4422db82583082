// Waking an app that scaled to zero: a request found no started machine, so start a stopped
// one, wait until it is ready (its health checks pass, or it accepts connections), route it,
// and let the held requests through (proxy/wake-gate.ts holds them). A machine that fails to
// wake is stopped again, the reason goes to the events and the daemon's log, and the held
// requests get a 503 that says what happened.
import { httpPortForGroup } from '../core/config/routing.js';
import { checksForGroup } from '../core/health/checks-for-group.js';
import type { Release } from '../core/model.js';
import type { Machine } from '../store/machines.js';
import { scalePolicy } from '../core/scale-to-zero/policy.js';
import { chooseWake, type WakeCandidate, type WakeChoice } from '../core/scale-to-zero/wake-target.js';
import type { WakeOutcome } from '../proxy/wake-gate.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { Store } from '../store/store.js';
import { sleep } from './readiness.js';
import type { MachineSupervisor } from './supervisor.js';
import { waitReadyToServe } from './wake-readiness.js';

export interface WakerDeps {
  store: Store;
  supervisor: MachineSupervisor;
  routes: RouteTable;
  /** The app's hostname, sent as Host by HTTP checks. */
  hostFor(app: string): string;
  log(line: string): void;
  /** Told of every wake that started a machine: its release, outcome and seconds taken. */
  onWake?(app: string, release: number, woken: boolean, seconds: number): void;
}

/** A wake never holds a request longer than this, even with a longer [deploy] wait_timeout. */
export const MAX_WAKE_MS = 60_000;
/** How often a wake that waits (for a stop to finish, a boot elsewhere) looks again. */
const WAIT_POLL_MS = 5;

export class Waker {
  /** One wake per app at a time; callers during it share it. */
  private readonly wakes = new Map<string, Promise<WakeOutcome>>();

  constructor(private readonly deps: WakerDeps) {}

  /** Makes sure `app` has a machine taking traffic, starting a stopped one if it must. */
  wake(app: string): Promise<WakeOutcome> {
    const running = this.wakes.get(app);
    if (running) return running;
    const wake = this.run(app).finally(() => this.wakes.delete(app));
    this.wakes.set(app, wake);
    return wake;
  }

  /** Starts one more stopped machine beside the started ones (all at their hard limit). */
  async startAnother(app: string): Promise<boolean> {
    if (this.wakes.has(app)) return false;
    const choice = this.choose(app);
    if (choice.kind !== 'start') return false;
    const outcome = this.startAndServe(app, choice.machineId, this.deadlineFor(app), 'more capacity');
    this.wakes.set(app, outcome);
    void outcome.finally(() => this.wakes.delete(app));
    return (await outcome).woken;
  }

  private async run(app: string): Promise<WakeOutcome> {
    const deadline = this.deadlineFor(app);
    for (;;) {
      if (this.deps.routes.backendCount(app) > 0) return { woken: true };
      const choice = this.choose(app);
      switch (choice.kind) {
        case 'start':
          return this.startAndServe(app, choice.machineId, deadline, 'a request');
        case 'nothing':
          return { woken: false };
        case 'disabled':
          return {
            woken: false,
            reason:
              `berth: app "${app}" has no started machine, and auto_start_machines is off, so a request does not start one.\n` +
              `Start one with \`berth machine start ID -a ${app}\` (\`berth machine list -a ${app}\` shows its ${choice.stopped} stopped machine${choice.stopped === 1 ? '' : 's'}), ` +
              'or set auto_start_machines = true under [http_service].\n',
          };
        case 'await-stop':
        case 'await-start':
          if (Date.now() >= deadline) {
            return {
              woken: false,
              reason: `berth: app "${app}" had no machine ready to take this request within ${Math.round(MAX_WAKE_MS / 1000)}s.\n\`berth status -a ${app}\` shows its machines.\n`,
            };
          }
          await sleep(WAIT_POLL_MS);
      }
    }
  }

  private choose(app: string): WakeChoice {
    const current = this.deps.store.apps.get(app)?.currentRelease ?? null;
    const release = current === null ? undefined : this.deps.store.releases.get(app, current);
    const policy = release && scalePolicy(release.config);
    const releases = new Map<number, Release | undefined>();
    const releaseOf = (m: Machine) => {
      if (!releases.has(m.releaseVersion))
        releases.set(m.releaseVersion, this.deps.store.releases.get(app, m.releaseVersion));
      return releases.get(m.releaseVersion);
    };
    const candidates: WakeCandidate[] = this.deps.store.machines.listByApp(app).map((m) => {
      const config = releaseOf(m)?.config;
      return {
        id: m.id,
        state: m.state,
        releaseVersion: m.releaseVersion,
        managed: m.managed,
        servesHttp: config !== undefined && httpPortForGroup(config, m.processGroup) !== undefined,
      };
    });
    return chooseWake(candidates, current, policy?.autoStart ?? true);
  }

  private deadlineFor(app: string): number {
    const current = this.deps.store.apps.get(app)?.currentRelease ?? null;
    const release = current === null ? undefined : this.deps.store.releases.get(app, current);
    return Date.now() + Math.min(release?.config.deploy.waitTimeoutMs ?? MAX_WAKE_MS, MAX_WAKE_MS);
  }

  private async startAndServe(
    app: string,
    machineId: string,
    deadline: number,
    cause: string,
  ): Promise<WakeOutcome> {
    const begun = Date.now();
    const outcome = await this.startAndServeOnce(app, machineId, deadline, cause);
    const release = this.deps.store.machines.get(machineId)?.releaseVersion ?? 0;
    this.deps.onWake?.(app, release, outcome.woken, (Date.now() - begun) / 1000);
    return outcome;
  }

  private async startAndServeOnce(
    app: string,
    machineId: string,
    deadline: number,
    cause: string,
  ): Promise<WakeOutcome> {
    const { store, supervisor } = this.deps;
    const begun = Date.now();
    let machine: Machine;
    try {
      machine = await supervisor.startMachine(machineId);
    } catch (err) {
      // Back to stopped, so the next request tries again instead of waiting on a "starting" one.
      await supervisor.stopMachine(machineId, { drain: false }).catch(() => {});
      return this.failed(app, machineId, 'could not be started', { detail: String(err) });
    }
    const release = store.releases.get(app, machine.releaseVersion);
    if (!release || !machine.address) {
      await supervisor.stopMachine(machineId, { drain: false });
      return this.failed(app, machineId, 'has no address to serve on');
    }
    const launchedMs = Date.now() - begun;
    const outcome = await waitReadyToServe({
      address: machine.address,
      checks: checksForGroup(release.config, machine.processGroup),
      hostHeader: this.deps.hostFor(app),
      isAlive: () => supervisor.isAlive(machineId),
      deadline,
    });
    if (outcome.ready) {
      supervisor.serve(app, [machineId], []);
      const readyMs = Date.now() - begun;
      store.events.append({
        app,
        releaseVersion: machine.releaseVersion,
        machineId,
        kind: 'machine.woken',
        message: `machine ${machineId} (${machine.processGroup}) woken by ${cause}: launched in ${launchedMs} ms, ready in ${readyMs} ms`,
        data: { launchedMs, readyMs, cause },
      });
      return { woken: true };
    }
    const lines = await supervisor.recentLogLines(machineId);
    await supervisor.stopMachine(machineId, { drain: false });
    if (outcome.reason === 'exited') {
      return this.failed(app, machineId, 'exited before it was ready', { logLines: lines });
    }
    return this.failed(app, machineId, `was not ready within ${Math.round((deadline - begun) / 1000)}s`, {
      detail: outcome.lastFailure,
      logLines: lines,
    });
  }

  /**
   * Records why a wake failed and answers the held requests. `detail` and the log lines go to
   * the event (and the detail to the daemon's log), never into the answer to the client.
   */
  private failed(
    app: string,
    machineId: string,
    why: string,
    extra: { detail?: string; logLines?: string[] } = {},
  ): WakeOutcome {
    const detail = extra.detail ? ` (${extra.detail})` : '';
    const lines = extra.logLines ?? [];
    const tail = lines.length > 0 ? `\n  last log lines:\n    ${lines.join('\n    ')}` : '';
    this.deps.store.events.append({
      app,
      machineId,
      kind: 'machine.wake_failed',
      message: `machine ${machineId} could not be woken: it ${why}${detail}; it is stopped again, and the next request tries again${tail}`,
    });
    this.deps.log(`app ${app}: machine ${machineId} could not be woken: it ${why}${detail}`);
    return {
      woken: false,
      reason:
        `berth: app "${app}" has no started machine, and the one started for this request failed: machine ${machineId} ${why}.\n` +
        `\`berth logs --machine ${machineId} -a ${app}\` shows its output; the next request tries again.\n`,
    };
  }
}
