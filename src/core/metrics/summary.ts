// Figures for people from two readings of an app's counters: requests per second, error rate
// and latency quantiles over the time between them (what `berth metrics` prints).
import { LATENCY_BOUNDS_MS, M_BYTES_IN, M_BYTES_OUT, M_LATENCY, M_STATUS, requestCount } from './meter.js';

export interface TrafficSummary {
  /** Requests counted between the two readings. */
  requests: number;
  requestsPerSecond: number;
  /** Share of them answered 5xx (by the machine or by the proxy), 0 … 1; 0 without requests. */
  errorRate: number;
  /** Latency quantiles in ms from the histogram; null without requests. */
  p50Ms: number | null;
  p99Ms: number | null;
  bytesIn: number;
  bytesOut: number;
}

/** The change from `then` (undefined: all zero) to `now`, over `seconds`. */
export function summarize(
  now: ArrayLike<number>,
  then: ArrayLike<number> | undefined,
  seconds: number,
): TrafficSummary {
  const d = (i: number) => now[i]! - (then?.[i] ?? 0);
  const buckets: number[] = [];
  for (let i = 0; i <= LATENCY_BOUNDS_MS.length; i++) buckets.push(d(M_LATENCY + i));
  const requests = requestCount(now) - (then === undefined ? 0 : requestCount(then));
  const errors = d(M_STATUS + 4);
  return {
    requests,
    requestsPerSecond: seconds > 0 ? requests / seconds : 0,
    errorRate: requests > 0 ? errors / requests : 0,
    p50Ms: histogramQuantile(0.5, buckets),
    p99Ms: histogramQuantile(0.99, buckets),
    bytesIn: d(M_BYTES_IN),
    bytesOut: d(M_BYTES_OUT),
  };
}

/**
 * The q-quantile of a histogram with LATENCY_BOUNDS_MS buckets (per-bucket counts, the last one
 * unbounded), interpolated linearly inside its bucket as Prometheus' histogram_quantile does.
 * In the unbounded bucket it answers the highest bound. Null for an empty histogram.
 */
export function histogramQuantile(q: number, counts: readonly number[]): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (below + c >= rank && c > 0) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return lower + (upper - lower) * ((rank - below) / c);
    }
    below += c;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
