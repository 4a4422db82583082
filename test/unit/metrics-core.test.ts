// The pure parts of metrics: the proxy's counter layout, latency buckets, quantiles from a
// histogram, the summary of two readings, the hour-deep ring and the daemon's fixed histograms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedHistogram } from '../../src/core/metrics/fixed-histogram.js';
import {
  countRequest,
  LATENCY_BOUNDS_MS,
  latencyBucket,
  M_ABORTED,
  M_BYTES_IN,
  M_BYTES_OUT,
  M_LATENCY,
  M_LATENCY_SUM,
  M_STATUS,
  METER_SIZE,
  requestCount,
  statusSlot,
} from '../../src/core/metrics/meter.js';
import { MeterRing, meterKey, parseMeterKey } from '../../src/core/metrics/ring.js';
import { histogramQuantile, summarize } from '../../src/core/metrics/summary.js';

test('statusSlot: a status class per hundred, anything else counts as no answer', () => {
  const cases: [number, number][] = [
    [100, M_STATUS],
    [101, M_STATUS],
    [200, M_STATUS + 1],
    [299, M_STATUS + 1],
    [304, M_STATUS + 2],
    [404, M_STATUS + 3],
    [499, M_STATUS + 3],
    [500, M_STATUS + 4],
    [599, M_STATUS + 4],
    [0, M_ABORTED],
    [99, M_ABORTED],
    [600, M_ABORTED],
    [-200, M_ABORTED],
    [NaN, M_ABORTED],
  ];
  for (const [status, slot] of cases) assert.equal(statusSlot(status), slot, `status ${status}`);
});

test('latencyBucket: the first bound at or above the duration, else the last (+Inf) bucket', () => {
  const last = LATENCY_BOUNDS_MS.length;
  const cases: [number, number][] = [
    [0, 0],
    [0.3, 0],
    [1, 0],
    [1.01, 1],
    [2.5, 1],
    [7, 3],
    [10, 3],
    [999, 9],
    [1000, 9],
    [30000, last - 1],
    [30001, last],
    [1e9, last],
    [Infinity, last],
  ];
  for (const [ms, bucket] of cases) assert.equal(latencyBucket(ms), bucket, `${ms} ms`);
});

test('countRequest adds status, bytes, latency sum and bucket; requestCount sums statuses', () => {
  const m = new Float64Array(METER_SIZE);
  countRequest(m, 200, 3, 10, 20);
  countRequest(m, 503, 700, 0, 5);
  countRequest(m, 0, 40, 7, 0);
  assert.equal(m[M_STATUS + 1], 1);
  assert.equal(m[M_STATUS + 4], 1);
  assert.equal(m[M_ABORTED], 1);
  assert.equal(m[M_BYTES_IN], 17);
  assert.equal(m[M_BYTES_OUT], 25);
  assert.equal(m[M_LATENCY_SUM], 743);
  assert.equal(m[M_LATENCY + latencyBucket(3)], 1);
  assert.equal(m[M_LATENCY + latencyBucket(700)], 1);
  assert.equal(m[M_LATENCY + latencyBucket(40)], 1);
  assert.equal(requestCount(m), 3);
});

/** Per-bucket counts with `n` observations in the bucket of each given bound index. */
function buckets(entries: [index: number, n: number][]): number[] {
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const [i, n] of entries) counts[i] = n;
  return counts;
}

test('histogramQuantile interpolates inside the bucket, as histogram_quantile does', () => {
  const cases: [q: number, counts: number[], expected: number | null][] = [
    [0.5, buckets([]), null],
    // All in (0, 1]: linear from 0.
    [0.5, buckets([[0, 10]]), 0.5],
    [0.99, buckets([[0, 100]]), 0.99],
    // Half in (1, 2.5], half in (5, 10]: the median is the top of the first half.
    [
      0.5,
      buckets([
        [1, 5],
        [3, 5],
      ]),
      2.5,
    ],
    [
      0.6,
      buckets([
        [1, 5],
        [3, 5],
      ]),
      6,
    ],
    [
      1,
      buckets([
        [1, 5],
        [3, 5],
      ]),
      10,
    ],
    // In the unbounded bucket: the highest bound.
    [0.99, buckets([[LATENCY_BOUNDS_MS.length, 3]]), LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!],
    // Empty buckets before the rank are skipped.
    [0.5, buckets([[6, 2]]), 75],
  ];
  for (const [q, counts, expected] of cases) {
    const got = histogramQuantile(q, counts);
    if (expected === null) assert.equal(got, null);
    else
      assert.ok(Math.abs(got! - expected) < 1e-9, `q=${q} ${JSON.stringify(counts)}: ${got} != ${expected}`);
  }
});

test('summarize: the change between two readings, per second, with 5xx as errors', () => {
  const then = new Float64Array(METER_SIZE);
  countRequest(then, 200, 3, 100, 100);
  const now = Float64Array.from(then);
  for (let i = 0; i < 8; i++) countRequest(now, 200, 3, 10, 1);
  countRequest(now, 404, 3, 0, 0);
  countRequest(now, 502, 3, 0, 0);
  const s = summarize(now, then, 5);
  // All ten in the (2.5, 5] ms bucket: the median halfway, p99 near its top.
  assert.deepEqual(s, {
    requests: 10,
    requestsPerSecond: 2,
    errorRate: 0.1,
    p50Ms: 3.75,
    p99Ms: 4.975,
    bytesIn: 80,
    bytesOut: 8,
  });
  // No earlier reading: everything since zero.
  assert.equal(summarize(now, undefined, 10).requests, 11);
  // Nothing happened: zeros and no quantiles, not NaN.
  assert.deepEqual(summarize(then, then, 0), {
    requests: 0,
    requestsPerSecond: 0,
    errorRate: 0,
    p50Ms: null,
    p99Ms: null,
    bytesIn: 0,
    bytesOut: 0,
  });
});

test('meterKey round-trips app and release', () => {
  for (const [app, release] of [
    ['hello', 3],
    ['a-b', 0],
    ['x', 123456],
  ] as const) {
    assert.deepEqual(parseMeterKey(meterKey(app, release)), { app, release });
  }
});

test('MeterRing: the baseline is the latest reading at or before the time, else the oldest', () => {
  const ring = new MeterRing(3);
  assert.equal(ring.baseline(0), undefined);
  const at = (n: number) => new Map([['k', Float64Array.of(n)]]);
  ring.record(1000, new Map());
  ring.record(2000, at(2));
  ring.record(3000, at(3));
  // A meter missing from the reading (made since) reads as zero.
  assert.equal(ring.baseline(1500)!.at, 1000);
  assert.equal(ring.baseline(1500)!.value('k')[0], 0);
  assert.equal(ring.baseline(2500)!.value('k')[0], 2);
  assert.equal(ring.baseline(9999)!.at, 3000);
  // Older than anything kept: the oldest.
  assert.equal(ring.baseline(0)!.at, 1000);
  // The ring overwrites its oldest reading, and readings are copies.
  const live = Float64Array.of(4);
  ring.record(4000, new Map([['k', live]]));
  live[0] = 99;
  assert.equal(ring.baseline(0)!.at, 2000);
  assert.equal(ring.baseline(4000)!.value('k')[0], 4);
  assert.deepEqual(
    ring.since(3500).map((r) => r.at),
    [3000, 4000],
  );
  assert.deepEqual(
    ring.since(0).map((r) => r.at),
    [2000, 3000, 4000],
  );
});

test('FixedHistogram counts each value in the first bucket at or above it, cumulatively read', () => {
  const h = new FixedHistogram([1, 5]);
  for (const v of [0.5, 1, 3, 5, 7, 100]) h.observe(v);
  assert.equal(h.count, 6);
  assert.equal(h.sum, 116.5);
  assert.deepEqual(h.cumulative(), [
    { le: '1', count: 2 },
    { le: '5', count: 4 },
    { le: '+Inf', count: 6 },
  ]);
});
