// The proxy's in-memory routing table. The daemon pushes changes in (setBackends, removeApp,
// hostnames); the request path only reads it, so serving a request never touches the database.
// It also holds the proxy's counters per app and release (core/metrics/meter.ts): the request
// path adds to the arrays its route and machine point at; metrics read them here.
import { M_IN_FLIGHT, METER_SIZE } from '../core/metrics/meter.js';
import { meterKey } from '../core/metrics/ring.js';

/** A started machine of an app as the daemon announces it. */
export interface Backend {
  machineId: string;
  /** `host:port` (IPv6 as `[::1]:port`). */
  address: string;
  releaseVersion: number;
  /** Requests it serves at once ([http_service.concurrency] hard_limit); more wait in a queue. */
  hardLimit?: number;
}

/**
 * One machine as the proxy sees it. The object is kept for as long as the machine is routed
 * or still has requests in flight, so the proxy can count on it directly (`inFlight++/--`)
 * and a draining machine's count survives route changes.
 */
export interface BackendState {
  readonly machineId: string;
  address: string;
  /** `address` split once here so the request path does not parse it. */
  host: string;
  port: number;
  releaseVersion: number;
  /** Requests (and open WebSockets) currently being served by this machine. */
  inFlight: number;
  /** Requests (and WebSockets) ever sent to it: the auto-stopper compares two readings. */
  requests: number;
  /** In flight at most this many (Infinity: no limit); the proxy queues the rest. */
  hardLimit: number;
  /** The counters of its app and release (see core/metrics/meter.ts). */
  meter: Float64Array;
  meterKey: string;
}

/** What a Host header resolves to. `backends` is empty for a known app with nothing running. */
export interface ResolvedRoute {
  readonly app: string;
  readonly backends: readonly BackendState[];
  /** Plain-HTTP requests are redirected to the TLS listener ([http_service] force_https). */
  readonly forceHttps: boolean;
  /** Counters of the requests the proxy answers itself, with no machine (release 0). */
  readonly meter: Float64Array;
}

interface AppRoute {
  readonly app: string;
  backends: BackendState[];
  forceHttps: boolean;
  readonly meter: Float64Array;
}

// Resolved hosts are cached by the raw header value (case and port as the client sent them).
// Bounded, because clients choose the header.
const HOST_CACHE_LIMIT = 1024;

export class RouteTable {
  private domain: string;
  private domainSuffix: string;
  private readonly apps = new Map<string, AppRoute>();
  private readonly hostnames = new Map<string, string>();
  /** Every machine currently routed, by id. */
  private readonly routed = new Map<string, BackendState>();
  /** Machines taken out of routing that still had requests in flight. */
  private readonly draining = new Map<string, BackendState>();
  private readonly hostCache = new Map<string, AppRoute | null>();
  /** Counters by meterKey(app, release); kept while the process lives, so they only grow. */
  private readonly meters = new Map<string, Float64Array>();

  constructor(options: { domain?: string } = {}) {
    this.domain = normalizeHost(options.domain ?? 'localhost');
    this.domainSuffix = '.' + this.domain;
  }

  /** The domain apps are served under: `<app>.<domain>`. */
  getDomain(): string {
    return this.domain;
  }

  setDomain(domain: string): void {
    this.domain = normalizeHost(domain);
    this.domainSuffix = '.' + this.domain;
    this.hostCache.clear();
  }

  /**
   * Replace the machines serving `app` (an empty list keeps the app known, so requests get 503
   * instead of 404). Machines that stay keep their state object and in-flight count.
   */
  setBackends(app: string, backends: readonly Backend[]): void {
    const name = app.toLowerCase();
    let route = this.apps.get(name);
    if (!route) {
      route = { app: name, backends: [], forceHttps: false, meter: this.meter(name, 0) };
      this.apps.set(name, route);
      this.hostCache.clear();
    }
    // Check every address before changing anything, so a bad one leaves the table as it was.
    for (const b of backends) splitAddress(b.address);
    const next: BackendState[] = [];
    const seen = new Set<string>();
    for (const b of backends) {
      if (seen.has(b.machineId)) continue;
      seen.add(b.machineId);
      next.push(this.stateFor(name, b));
    }
    // A new array rather than in-place edits: a request that already picked from the old one
    // is unaffected.
    const previous = route.backends;
    route.backends = next;
    for (const old of previous) {
      if (!seen.has(old.machineId)) this.unroute(old);
    }
  }

  /** Forget an app entirely (its hostnames too): its Host now gets 404. */
  removeApp(app: string): void {
    const name = app.toLowerCase();
    const route = this.apps.get(name);
    if (!route) return;
    this.apps.delete(name);
    for (const b of route.backends) this.unroute(b);
    for (const [host, target] of this.hostnames) {
      if (target === name) this.hostnames.delete(host);
    }
    this.hostCache.clear();
  }

  /** Serve `app` at an extra hostname as well (any port; case does not matter). */
  addHostname(host: string, app: string): void {
    this.hostnames.set(normalizeHost(host), app.toLowerCase());
    this.hostCache.clear();
  }

  removeHostname(host: string): void {
    this.hostnames.delete(normalizeHost(host));
    this.hostCache.clear();
  }

  /** Whether plain-HTTP requests for the app are redirected to HTTPS. Unknown apps: no-op. */
  setForceHttps(app: string, on: boolean): void {
    const route = this.apps.get(app.toLowerCase());
    if (route) route.forceHttps = on;
  }

  /** The app's route by name, for listeners dedicated to one app (Host does not matter). */
  resolveApp(app: string): ResolvedRoute | undefined {
    return this.apps.get(app.toLowerCase());
  }

  knownApp(app: string): boolean {
    return this.apps.has(app.toLowerCase());
  }

  /** Requests in flight on a machine, routed or draining; 0 once it is done or unknown. */
  inFlight(machineId: string): number {
    const routed = this.routed.get(machineId);
    if (routed) return routed.inFlight;
    const draining = this.draining.get(machineId);
    if (!draining) return 0;
    if (draining.inFlight <= 0) this.draining.delete(machineId);
    return Math.max(0, draining.inFlight);
  }

  /** A routed machine's counters (in flight, requests so far); undefined when not routed. */
  activity(machineId: string): Readonly<BackendState> | undefined {
    return this.routed.get(machineId);
  }

  /** Machines the proxy can send `app`'s requests to right now. */
  backendCount(app: string): number {
    return this.apps.get(app.toLowerCase())?.backends.length ?? 0;
  }

  /** The app a Host header names (`<app>.<domain>[:port]` or an extra hostname), if known. */
  resolve(hostHeader: string | undefined): ResolvedRoute | undefined {
    if (hostHeader === undefined) return undefined;
    const cached = this.hostCache.get(hostHeader);
    if (cached !== undefined) return cached ?? undefined;
    const route = this.lookup(normalizeHost(hostHeader)) ?? null;
    if (this.hostCache.size >= HOST_CACHE_LIMIT) this.hostCache.clear();
    this.hostCache.set(hostHeader, route);
    return route ?? undefined;
  }

  private lookup(host: string): AppRoute | undefined {
    const mapped = this.hostnames.get(host);
    if (mapped !== undefined) return this.apps.get(mapped);
    if (host.length > this.domainSuffix.length && host.endsWith(this.domainSuffix)) {
      return this.apps.get(host.slice(0, host.length - this.domainSuffix.length));
    }
    return undefined;
  }

  /**
   * Every app and release's counters, copied, with in flight filled in from the machines
   * (routed and draining) that count it. Read by metrics, never by the request path.
   */
  meterReadings(): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    for (const [key, values] of this.meters) out.set(key, Float64Array.from(values));
    for (const states of [this.routed.values(), this.draining.values()]) {
      for (const b of states) {
        const reading = out.get(b.meterKey);
        if (reading !== undefined) reading[M_IN_FLIGHT] = reading[M_IN_FLIGHT]! + Math.max(0, b.inFlight);
      }
    }
    return out;
  }

  private meter(app: string, release: number): Float64Array {
    const key = meterKey(app, release);
    let values = this.meters.get(key);
    if (values === undefined) {
      values = new Float64Array(METER_SIZE);
      this.meters.set(key, values);
    }
    return values;
  }

  private stateFor(app: string, b: Backend): BackendState {
    let state = this.routed.get(b.machineId) ?? this.draining.get(b.machineId);
    if (!state) {
      state = {
        machineId: b.machineId,
        address: '',
        host: '',
        port: 0,
        releaseVersion: 0,
        inFlight: 0,
        requests: 0,
        hardLimit: Infinity,
        meter: this.meter(app, b.releaseVersion),
        meterKey: meterKey(app, b.releaseVersion),
      };
    }
    this.draining.delete(b.machineId);
    this.routed.set(b.machineId, state);
    if (state.address !== b.address) {
      const { host, port } = splitAddress(b.address);
      state.address = b.address;
      state.host = host;
      state.port = port;
    }
    if (state.releaseVersion !== b.releaseVersion || state.meterKey !== meterKey(app, b.releaseVersion)) {
      state.meter = this.meter(app, b.releaseVersion);
      state.meterKey = meterKey(app, b.releaseVersion);
    }
    state.releaseVersion = b.releaseVersion;
    state.hardLimit = b.hardLimit ?? Infinity;
    return state;
  }

  /** Called after the app's list changed: stop counting the machine as routed. */
  private unroute(state: BackendState): void {
    // Only by mistake would one machine serve two apps; then it stays routed for the other.
    for (const route of this.apps.values()) {
      if (route.backends.includes(state)) return;
    }
    this.routed.delete(state.machineId);
    if (state.inFlight > 0) this.draining.set(state.machineId, state);
  }
}

/** Lower-case, without port and trailing dot: `Hello.LOCALHOST.:8080` → `hello.localhost`. */
export function normalizeHost(value: string): string {
  let host = value.trim();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end === -1 ? host : host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

/** `127.0.0.1:3000` → host and port; `[::1]:3000` → `::1` and 3000. */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`backend address "${address}" is not host:port`);
  }
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}
