// Scale to zero: once a second, stop the started machines of apps with auto_stop_machines that
// had no request for their idle_timeout, keeping min_machines_running started. Activity comes
// from the proxy's counters (requests sent, in flight) read on each tick, so the request path
// pays one increment. core/scale-to-zero decides; this observes and acts.
import { formatDuration } from '../core/config/duration.js';
import type { Release } from '../core/model.js';
import { wantsAnotherMachine } from '../core/scale-to-zero/capacity.js';
import { machinesToStop, type WarmMachine } from '../core/scale-to-zero/idle-stop.js';
import { policyCovers, scalePolicy, type ScalePolicy } from '../core/scale-to-zero/policy.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { Store } from '../store/store.js';
import type { MachineSupervisor } from './supervisor.js';
import type { Waker } from './waker.js';

export interface AutoStopperDeps {
  store: Store;
  supervisor: MachineSupervisor;
  routes: RouteTable;
  waker: Waker;
  log(line: string): void;
  tickMs?: number;
}

interface CachedPolicy {
  version: number;
  policy: ScalePolicy | undefined;
  hardLimit: number | undefined;
}

interface Seen {
  requests: number;
  lastActiveAt: number;
}

export class AutoStopper {
  /** Per machine: the proxy's request count at the last tick, and when it last saw activity. */
  private readonly seen = new Map<string, Seen>();
  private readonly stopping = new Set<string>();
  private readonly policies = new Map<string, CachedPolicy>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AutoStopperDeps) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  tick(now = Date.now()): void {
    const { store } = this.deps;
    const live = new Set<string>();
    for (const app of store.apps.list()) {
      if (app.currentRelease === null) continue;
      const { policy, hardLimit } = this.policyFor(app.name, app.currentRelease);
      if (!policy) continue;
      const warm = store.machines
        .listByApp(app.name)
        .filter(
          (m) =>
            m.managed &&
            m.state === 'started' &&
            m.serving &&
            !this.stopping.has(m.id) &&
            policyCovers(policy, m.processGroup),
        );
      const observed = warm.map((m) => this.observe(m.id, now));
      for (const m of warm) live.add(m.id);
      // A deploy or a scale moves machines itself (both hold the app's lock while they run);
      // stopping one under them would fight them.
      if (store.deployments.running(app.name) || this.lockHeld(app.name, now)) continue;
      for (const stop of machinesToStop(observed, policy, now)) {
        const machine = warm.find((m) => m.id === stop.id)!;
        this.stopIdle(app.name, machine.id, machine.processGroup, stop.idleMs, policy);
      }
      if (
        policy.autoStart &&
        wantsAnotherMachine(
          observed.map((m) => m.inFlight),
          hardLimit,
        )
      ) {
        void this.deps.waker.startAnother(app.name);
      }
    }
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
  }

  /** Reads the proxy's counters: a change since the last tick, or anything in flight, is activity. */
  /** A live (unexpired) deploy lock on the app: a deploy or a scale is under way. */
  private lockHeld(app: string, now: number): boolean {
    const lock = this.deps.store.locks.get(app);
    return lock !== undefined && Date.parse(lock.expiresAt) > now;
  }

  private observe(machineId: string, now: number): WarmMachine {
    const activity = this.deps.routes.activity(machineId);
    const requests = activity?.requests ?? 0;
    const inFlight = activity?.inFlight ?? 0;
    const seen = this.seen.get(machineId);
    // Not routed (not ready yet): it cannot have been idle, as nobody could reach it.
    if (!seen || !activity || inFlight > 0 || seen.requests !== requests) {
      this.seen.set(machineId, { requests, lastActiveAt: now });
      return { id: machineId, lastActiveAt: now, inFlight };
    }
    return { id: machineId, lastActiveAt: seen.lastActiveAt, inFlight };
  }

  private stopIdle(app: string, machineId: string, group: string, idleMs: number, policy: ScalePolicy): void {
    this.stopping.add(machineId);
    const idle = formatDuration(Math.max(1000, Math.round(idleMs / 1000) * 1000));
    this.deps.store.events.append({
      app,
      machineId,
      kind: 'machine.idle_stop',
      message:
        `machine ${machineId} (${group}) stopped after ${idle} idle ` +
        `(auto_stop_machines, idle_timeout ${formatDuration(policy.idleTimeoutMs)}, min_machines_running ${policy.minRunning})`,
      data: { idleMs, idleTimeoutMs: policy.idleTimeoutMs, minMachinesRunning: policy.minRunning },
    });
    this.deps.supervisor
      .stopMachine(machineId, { drain: true })
      .catch((err: unknown) =>
        this.deps.log(`app ${app}: stopping idle machine ${machineId} failed: ${String(err)}`),
      )
      .finally(() => this.stopping.delete(machineId));
  }

  /** The current release's policy, read once per release rather than on every tick. */
  private policyFor(app: string, version: number): CachedPolicy {
    const cached = this.policies.get(app);
    if (cached && cached.version === version) return cached;
    const release: Release | undefined = this.deps.store.releases.get(app, version);
    const entry: CachedPolicy = {
      version,
      policy: release ? scalePolicy(release.config) : undefined,
      // As on fly, a machine counts as full from its soft_limit: another starts before the
      // proxy has to queue at hard_limit.
      hardLimit:
        release?.config.httpService?.concurrency?.softLimit ??
        release?.config.httpService?.concurrency?.hardLimit,
    };
    this.policies.set(app, entry);
    return entry;
  }
}
