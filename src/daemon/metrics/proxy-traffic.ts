// The proxy's counters as the daemon sees them: its own route table's plus its workers', read
// together; a reading every 10 s into an hour-deep ring (for `berth metrics` and the
// dashboard); and requests served added to each release's usage at each reading.
import { addMeter, M_IN_FLIGHT, METER_SIZE, requestCount } from '../../core/metrics/meter.js';
import { MeterRing, meterKey, parseMeterKey, RING_TICK_MS } from '../../core/metrics/ring.js';
import { summarize, type TrafficSummary } from '../../core/metrics/summary.js';
import type { ReleaseUsage, UsageStore } from '../../store/usage.js';

export interface LocalMeters {
  meterReadings(): Map<string, Float64Array>;
}

export interface RemoteMeters {
  meterReadings(): Promise<Map<string, Float64Array>>;
}

/** Figures of one release (null: requests the proxy answered with no machine to send them to). */
export interface ReleaseTraffic extends TrafficSummary {
  release: number | null;
  inFlight: number;
}

export interface AppTraffic {
  app: string;
  from: string;
  to: string;
  seconds: number;
  total: TrafficSummary & { inFlight: number };
  releases: ReleaseTraffic[];
  /** One point per reading interval in the window, per release: for plotting. */
  points: {
    at: string;
    release: number | null;
    requestsPerSecond: number;
    errorRate: number;
    p99Ms: number | null;
  }[];
}

export class ProxyTraffic {
  private readonly ring = new MeterRing();
  /** Requests already added to usage, by meter key. */
  private readonly flushed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      local: LocalMeters;
      remote?: RemoteMeters;
      usage: UsageStore;
      log: (line: string) => void;
    },
  ) {}

  /** Every app and release's counters now, summed over the daemon and its workers. */
  async read(): Promise<Map<string, Float64Array>> {
    const readings = this.deps.local.meterReadings();
    if (this.deps.remote === undefined) return readings;
    for (const [key, values] of await this.deps.remote.meterReadings()) {
      let sum = readings.get(key);
      if (sum === undefined) readings.set(key, (sum = new Float64Array(METER_SIZE)));
      addMeter(sum, values);
    }
    return readings;
  }

  /** The first reading (all zero) now, then one every RING_TICK_MS. */
  start(): void {
    this.ring.record(Date.now(), new Map());
    this.timer = setInterval(() => void this.tick(), RING_TICK_MS);
    this.timer.unref();
  }

  /** Stops reading; requests counted since the last reading go to usage first. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    try {
      this.flush(await this.read());
    } catch (err) {
      this.deps.log(`could not record requests served: ${String(err)}`);
    }
  }

  private tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const readings = await this.read();
        this.ring.record(Date.now(), readings);
        this.flush(readings);
      } catch (err) {
        this.deps.log(`could not read the proxy's counters: ${String(err)}`);
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  /** Adds the requests served since the last flush to each release's usage. */
  private flush(readings: Map<string, Float64Array>): void {
    const counts = this.pending(readings);
    this.deps.usage.addRequests(counts);
    for (const c of counts) this.flushed.set(meterKey(c.app, c.releaseVersion), c.total);
  }

  private pending(readings: Map<string, Float64Array>) {
    const out: { app: string; releaseVersion: number; requests: number; total: number }[] = [];
    for (const [key, values] of readings) {
      const { app, release } = parseMeterKey(key);
      if (release === 0) continue;
      const total = requestCount(values);
      const requests = total - (this.flushed.get(key) ?? 0);
      if (requests > 0) out.push({ app, releaseVersion: release, requests, total });
    }
    return out;
  }

  /** An app's usage per release, with requests not yet flushed included. */
  async usage(app: string): Promise<ReleaseUsage[]> {
    const stored = this.deps.usage.forApp(app, new Date());
    const pending = this.pending(await this.read()).filter((c) => c.app === app);
    for (const c of pending) {
      let row = stored.find((u) => u.releaseVersion === c.releaseVersion);
      if (row === undefined) {
        row = { app, releaseVersion: c.releaseVersion, machineSeconds: 0, requests: 0, scheduleRuns: 0 };
        stored.push(row);
      }
      row.requests += c.requests;
    }
    return stored.sort((a, b) => a.releaseVersion - b.releaseVersion);
  }

  /** An app's traffic over the last `minutes` (as far back as the ring goes). */
  async appTraffic(app: string, minutes: number): Promise<AppTraffic> {
    const now = Date.now();
    const current = await this.read();
    const baseline = this.ring.baseline(now - minutes * 60_000) ?? { at: now, value: () => undefined };
    const seconds = Math.max(0.001, (now - baseline.at) / 1000);
    const keys = [...current.keys()].filter((k) => parseMeterKey(k).app === app);
    const totalNow = new Float64Array(METER_SIZE);
    const totalThen = new Float64Array(METER_SIZE);
    const releases: ReleaseTraffic[] = [];
    for (const key of keys) {
      const values = current.get(key)!;
      const then = baseline.value(key);
      addMeter(totalNow, values);
      if (then !== undefined) addMeter(totalThen, then);
      const release = parseMeterKey(key).release;
      releases.push({
        release: release === 0 ? null : release,
        ...summarize(values, then, seconds),
        inFlight: values[M_IN_FLIGHT]!,
      });
    }
    releases.sort((a, b) => (a.release ?? 0) - (b.release ?? 0));
    const readings = [...this.ring.since(now - minutes * 60_000), { at: now, values: current }];
    const points: AppTraffic['points'] = [];
    for (let i = 1; i < readings.length; i++) {
      const a = readings[i - 1]!;
      const b = readings[i]!;
      const dt = (b.at - a.at) / 1000;
      if (dt <= 0) continue;
      for (const key of keys) {
        const values = b.values.get(key);
        if (values === undefined) continue;
        const s = summarize(values, a.values.get(key), dt);
        const release = parseMeterKey(key).release;
        points.push({
          at: new Date(b.at).toISOString(),
          release: release === 0 ? null : release,
          requestsPerSecond: s.requestsPerSecond,
          errorRate: s.errorRate,
          p99Ms: s.p99Ms,
        });
      }
    }
    return {
      app,
      from: new Date(baseline.at).toISOString(),
      to: new Date(now).toISOString(),
      seconds,
      total: { ...summarize(totalNow, totalThen, seconds), inFlight: totalNow[M_IN_FLIGHT]! },
      releases,
      points,
    };
  }
}
