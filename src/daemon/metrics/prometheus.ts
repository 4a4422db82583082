// GET /metrics: the Prometheus text exposition, written by prom-client. Nothing is counted
// here: every collector copies from where the counting happens (the proxy's counters, the
// database, the daemon's event counters) when the endpoint is read.
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { FixedHistogram } from '../../core/metrics/fixed-histogram.js';
import {
  LATENCY_BOUNDS_MS,
  M_ABORTED,
  M_BYTES_IN,
  M_BYTES_OUT,
  M_IN_FLIGHT,
  M_LATENCY,
  M_LATENCY_SUM,
  M_STATUS,
  STATUS_CLASSES,
} from '../../core/metrics/meter.js';
import { parseMeterKey } from '../../core/metrics/ring.js';
import type { Store } from '../../store/store.js';
import type { EventCounters } from './event-counters.js';

export interface MetricsSources {
  store: Store;
  /** The proxy's counters by meter key, summed over the daemon and its workers. */
  readProxy(): Promise<Map<string, Float64Array>>;
  events: EventCounters;
}

type Labels = Record<string, string>;
interface HistogramSeries {
  labels: Labels;
  /** Cumulative counts per bound, +Inf last. */
  buckets: { le: string; count: number }[];
  sum: number;
  count: number;
}

const release = (n: number): string => (n === 0 ? 'none' : `v${n}`);

export class MetricsExposition {
  private readonly registry = new Registry();
  /** The proxy's counters as read for the scrape in progress. */
  private proxy = new Map<string, Float64Array>();
  private apps = new Set<string>();

  constructor(private readonly sources: MetricsSources) {
    // collect() runs with the metric as `this`: these reach the exposition's state.
    const proxySeries = () => this.proxySeries();
    const known = (app: string) => this.apps.has(app);
    const r = [this.registry];
    new Counter({
      name: 'berth_http_requests_total',
      help: 'Requests through the edge proxy by app, release and status class (aborted: the client left before an answer; release "none": answered by the proxy with no machine).',
      labelNames: ['app', 'release', 'code'],
      registers: r,
      collect() {
        this.reset();
        for (const { labels, values } of proxySeries()) {
          STATUS_CLASSES.forEach((code, i) => this.inc({ ...labels, code }, values[M_STATUS + i]!));
          this.inc({ ...labels, code: 'aborted' }, values[M_ABORTED]!);
        }
      },
    });
    new Gauge({
      name: 'berth_http_requests_in_flight',
      help: 'Requests and WebSockets being served by the machines of each app and release.',
      labelNames: ['app', 'release'],
      registers: r,
      collect() {
        this.reset();
        for (const { labels, values } of proxySeries()) this.set(labels, values[M_IN_FLIGHT]!);
      },
    });
    for (const [name, slot, what] of [
      ['berth_http_request_body_bytes_total', M_BYTES_IN, 'Request body bytes read from clients'],
      ['berth_http_response_body_bytes_total', M_BYTES_OUT, 'Response body bytes sent to clients'],
    ] as const) {
      new Counter({
        name,
        help: `${what}, by app and release.`,
        labelNames: ['app', 'release'],
        registers: r,
        collect() {
          this.reset();
          for (const { labels, values } of proxySeries()) this.inc(labels, values[slot]!);
        },
      });
    }
    this.histogram(
      'berth_http_request_duration_seconds',
      'Time from routing a request to a machine to the end of its response, by app and release.',
      () =>
        this.proxySeries()
          .filter((s) => s.labels.release !== 'none')
          .map(({ labels, values }) => {
            let running = 0;
            const buckets = LATENCY_BOUNDS_MS.map((ms, i) => {
              running += values[M_LATENCY + i]!;
              return { le: String(ms / 1000), count: running };
            });
            running += values[M_LATENCY + LATENCY_BOUNDS_MS.length]!;
            buckets.push({ le: '+Inf', count: running });
            return { labels, buckets, sum: values[M_LATENCY_SUM]! / 1000, count: running };
          }),
    );
    new Gauge({
      name: 'berth_machines',
      help: 'Machines by app, release and state.',
      labelNames: ['app', 'release', 'state'],
      registers: r,
      collect() {
        this.reset();
        for (const m of sources.store.machines.listLive()) {
          this.inc({ app: m.app, release: release(m.releaseVersion), state: m.state });
        }
      },
    });
    new Counter({
      name: 'berth_machine_restarts_total',
      help: 'Restarts of crashed machines by app and release.',
      labelNames: ['app', 'release'],
      registers: r,
      collect() {
        this.reset();
        for (const m of sources.store.machines.restartsByRelease()) {
          this.inc({ app: m.app, release: release(m.releaseVersion) }, m.restarts);
        }
      },
    });
    new Counter({
      name: 'berth_deploys_total',
      help: 'Finished deployments by app, release, kind (deploy or rollback) and outcome (succeeded, failed, reverted).',
      labelNames: ['app', 'release', 'kind', 'outcome'],
      registers: r,
      collect() {
        this.reset();
        for (const d of sources.store.deployments.listFinished()) {
          this.inc({
            app: d.app,
            release: release(d.releaseVersion),
            kind: d.rollback ? 'rollback' : 'deploy',
            outcome: d.status,
          });
        }
      },
    });
    this.histogram(
      'berth_deploy_duration_seconds',
      'How long finished deployments took, by app, kind and outcome.',
      () => {
        const series = new Map<string, { labels: Labels; values: number[] }>();
        for (const d of sources.store.deployments.listFinished()) {
          const labels = { app: d.app, kind: d.rollback ? 'rollback' : 'deploy', outcome: d.status };
          const key = JSON.stringify(labels);
          if (!series.has(key)) series.set(key, { labels, values: [] });
          series.get(key)!.values.push(d.seconds);
        }
        return [...series.values()].map((s) => fromValues(s.labels, s.values));
      },
    );
    new Counter({
      name: 'berth_wakes_total',
      help: 'Wakes of scaled-to-zero apps by app, release and outcome (woken, failed).',
      labelNames: ['app', 'release', 'outcome'],
      registers: r,
      collect() {
        this.reset();
        for (const w of sources.events.wakes.values()) {
          if (known(w.app)) this.inc(wakeLabels(w), w.seconds.count);
        }
      },
    });
    this.histogram(
      'berth_wake_duration_seconds',
      'Time from a request finding no started machine to one taking traffic (or the wake failing).',
      () =>
        [...sources.events.wakes.values()]
          .filter((w) => known(w.app))
          .map((w) => fromHistogram(wakeLabels(w), w.seconds)),
    );
    new Counter({
      name: 'berth_schedule_runs_total',
      help: 'Schedule runs by app, release, schedule and outcome.',
      labelNames: ['app', 'release', 'schedule', 'outcome'],
      registers: r,
      collect() {
        this.reset();
        for (const s of sources.events.scheduleRuns.values()) {
          if (known(s.app)) this.inc(scheduleLabels(s), s.seconds.count);
        }
      },
    });
    this.histogram(
      'berth_schedule_run_duration_seconds',
      'How long schedule runs took, by app, release, schedule and outcome.',
      () =>
        [...sources.events.scheduleRuns.values()]
          .filter((s) => known(s.app))
          .map((s) => fromHistogram(scheduleLabels(s), s.seconds)),
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, from counters read now. */
  async text(): Promise<string> {
    this.proxy = await this.sources.readProxy();
    this.apps = new Set(this.sources.store.apps.list().map((a) => a.name));
    return this.registry.metrics();
  }

  /** The proxy's series of apps that exist (a destroyed app's counters stay behind in memory). */
  private proxySeries(): { labels: Labels; values: Float64Array }[] {
    const out: { labels: Labels; values: Float64Array }[] = [];
    for (const [key, values] of this.proxy) {
      const { app, release: n } = parseMeterKey(key);
      if (this.apps.has(app)) out.push({ labels: { app, release: release(n) }, values });
    }
    return out;
  }

  /**
   * A histogram whose buckets are counted elsewhere: prom-client's Histogram only observes, so
   * this metric hands the registry its series as they are (it formats them).
   */
  private histogram(name: string, help: string, read: () => HistogramSeries[]): void {
    const metric = {
      name,
      help,
      type: 'histogram',
      get: () => ({
        name,
        help,
        type: 'histogram',
        aggregator: 'sum',
        values: read().flatMap((s) => [
          ...s.buckets.map((b) => ({
            metricName: `${name}_bucket`,
            labels: { ...s.labels, le: b.le },
            value: b.count,
          })),
          { metricName: `${name}_sum`, labels: s.labels, value: s.sum },
          { metricName: `${name}_count`, labels: s.labels, value: s.count },
        ]),
      }),
    };
    this.registry.registerMetric(metric as unknown as Metric);
  }
}

function wakeLabels(w: { app: string; release: number; outcome: string }): Labels {
  return { app: w.app, release: release(w.release), outcome: w.outcome };
}

function scheduleLabels(s: { app: string; release: number; schedule: string; outcome: string }): Labels {
  return { app: s.app, release: release(s.release), schedule: s.schedule, outcome: s.outcome };
}

function fromHistogram(labels: Labels, h: FixedHistogram): HistogramSeries {
  return { labels, buckets: h.cumulative(), sum: h.sum, count: h.count };
}

function fromValues(labels: Labels, values: number[]): HistogramSeries {
  const h = new FixedHistogram();
  for (const v of values) h.observe(v);
  return fromHistogram(labels, h);
}
