// The daemon's route table when proxy workers serve the requests. It is the ordinary table
// (the daemon's own listeners, TLS and allocated addresses, still route through it) that also
// remembers what it was told, so a snapshot can be pushed to the workers after every change,
// and whose in-flight counts add up what every worker reports.
import { RouteTable, type Backend, type BackendState } from '../route-table.js';
import type { RouteSnapshot } from './protocol.js';

/** Counters the workers reported for a machine, summed. */
export interface RemoteCounts {
  /**
   * Requests in flight on the machine in the workers. `unroutedAt` is the version that took
   * the machine out of routing: a worker that has not applied it yet may still send it
   * requests, so it counts as busy.
   */
  inFlight(machineId: string, unroutedAt: number | undefined): number;
  requests(machineId: string): number;
}

export class SharedRouteTable extends RouteTable {
  /** Grows with every change. */
  version = 0;
  /** Called after every change (the workers' side batches them). */
  onChange: (() => void) | undefined;
  remote: RemoteCounts | undefined;
  private readonly announced = new Map<string, { backends: Backend[]; forceHttps: boolean }>();
  private readonly hostnameMap = new Map<string, string>();
  /** Machines taken out of routing, and the version that did it. */
  private readonly unroutedAt = new Map<string, number>();

  override setDomain(domain: string): void {
    super.setDomain(domain);
    this.changed();
  }

  override setBackends(app: string, backends: readonly Backend[]): void {
    super.setBackends(app, backends);
    const name = app.toLowerCase();
    const previous = this.announced.get(name);
    this.announced.set(name, { backends: [...backends], forceHttps: previous?.forceHttps ?? false });
    this.version++;
    const now = new Set(backends.map((b) => b.machineId));
    for (const b of backends) this.unroutedAt.delete(b.machineId);
    for (const b of previous?.backends ?? []) {
      if (!now.has(b.machineId)) this.unroutedAt.set(b.machineId, this.version);
    }
    this.onChange?.();
  }

  override removeApp(app: string): void {
    super.removeApp(app);
    const name = app.toLowerCase();
    const previous = this.announced.get(name);
    this.announced.delete(name);
    for (const [host, target] of this.hostnameMap) if (target === name) this.hostnameMap.delete(host);
    this.version++;
    for (const b of previous?.backends ?? []) this.unroutedAt.set(b.machineId, this.version);
    this.onChange?.();
  }

  override addHostname(host: string, app: string): void {
    super.addHostname(host, app);
    this.hostnameMap.set(host, app.toLowerCase());
    this.changed();
  }

  override removeHostname(host: string): void {
    super.removeHostname(host);
    this.hostnameMap.delete(host);
    this.changed();
  }

  override setForceHttps(app: string, on: boolean): void {
    super.setForceHttps(app, on);
    const route = this.announced.get(app.toLowerCase());
    if (route === undefined || route.forceHttps === on) return;
    route.forceHttps = on;
    this.changed();
  }

  override inFlight(machineId: string): number {
    const local = super.inFlight(machineId);
    const remote = this.remote?.inFlight(machineId, this.unroutedAt.get(machineId)) ?? 0;
    return local + remote;
  }

  override activity(machineId: string): Readonly<BackendState> | undefined {
    const local = super.activity(machineId);
    if (local === undefined || this.remote === undefined) return local;
    return {
      ...local,
      inFlight: local.inFlight + this.remote.inFlight(machineId, undefined),
      requests: local.requests + this.remote.requests(machineId),
    };
  }

  /**
   * What the workers route by. Each worker enforces a machine's hard_limit on its own
   * requests, so the limit is split between them (at least 1 each: with fewer requests
   * allowed than workers, a machine may see one per worker).
   */
  snapshot(tlsPort: number | undefined, workers = 1): RouteSnapshot {
    const share = (limit: number | undefined) =>
      limit === undefined || !Number.isFinite(limit) ? limit : Math.max(1, Math.floor(limit / workers));
    return {
      version: this.version,
      domain: this.getDomain(),
      tlsPort,
      apps: [...this.announced].map(([app, route]) => ({
        app,
        ...route,
        backends: route.backends.map((b) =>
          b.hardLimit === undefined ? b : { ...b, hardLimit: share(b.hardLimit)! },
        ),
      })),
      hostnames: [...this.hostnameMap],
    };
  }

  /** Something else in the snapshot changed (the TLS port): push it again. */
  touch(): void {
    this.changed();
  }

  private changed(): void {
    this.version++;
    this.onChange?.();
  }
}
