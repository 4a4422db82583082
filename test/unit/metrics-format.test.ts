// How `berth metrics` and `berth status` print figures, and the strict Prometheus text parser
// the integration tests read GET /metrics with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatErrorRate,
  formatLatency,
  formatRate,
  trafficLine,
  usageLine,
} from '../../src/cli/metrics-format.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

test('formatRate, formatErrorRate and formatLatency', () => {
  const rates: [number, string][] = [
    [0, '0'],
    [0.0333, '0.03'],
    [0.5, '0.5'],
    [12.345, '12.3'],
    [1234.5, '1235'],
  ];
  for (const [v, s] of rates) assert.equal(formatRate(v), s);
  const errors: [number, number, string][] = [
    [0, 0, '-'],
    [0, 10, '0%'],
    [0.004, 1000, '0.4%'],
    [2 / 11, 11, '18%'],
    [1, 1, '100%'],
  ];
  for (const [rate, n, s] of errors) assert.equal(formatErrorRate(rate, n), s);
  const latencies: [number | null, string][] = [
    [null, '-'],
    [0.84, '0.8 ms'],
    [12.4, '12 ms'],
    [1500, '1.5 s'],
  ];
  for (const [ms, s] of latencies) assert.equal(formatLatency(ms), s);
});

test('trafficLine and usageLine', () => {
  assert.equal(
    trafficLine({
      requests: 1,
      requestsPerSecond: 0.0033,
      errorRate: 0,
      p50Ms: 2,
      p99Ms: 2.4,
      bytesIn: 0,
      bytesOut: 0,
      inFlight: 0,
    }),
    '0.00 req/s, 0% errors, p50 2.0 ms, p99 2.4 ms (1 request)',
  );
  assert.equal(
    usageLine({ machineSeconds: 3725.9, requests: 2, scheduleRuns: 1 }),
    '1h2m machine time, 2 requests, 1 schedule run',
  );
});

const GOOD = [
  '# HELP a_total Things.',
  '# TYPE a_total counter',
  'a_total{app="x",q="say \\"hi\\"\\n\\\\"} 3',
  'a_total 1.5e3 1700000000000',
  '# TYPE h histogram',
  'h_bucket{le="0.1"} 1',
  'h_bucket{le="+Inf"} 2',
  'h_sum 0.3',
  'h_count 2',
  '',
].join('\n');

test('the Prometheus text parser reads the format', () => {
  const families = parsePrometheusText(GOOD);
  assert.equal(families.get('a_total')!.help, 'Things.');
  assert.equal(sampleValue(families, 'a_total', { app: 'x' }), 3);
  assert.equal(families.get('a_total')!.samples[0]!.labels.q, 'say "hi"\n\\');
  assert.equal(families.get('a_total')!.samples[1]!.value, 1500);
  assert.equal(sampleValue(families, 'h_count', {}), 2);
});

test('the Prometheus text parser refuses what is not the format', () => {
  const bad: [string, RegExp][] = [
    ['x 1\n', /no TYPE/],
    ['# TYPE x counter\nx 1', /newline/],
    ['# TYPE x counter\nx{a="1" 1\n', /expected , or }/],
    ['# TYPE x counter\nx{a=1} 1\n', /not quoted/],
    ['# TYPE x counter\nx{a="\\t"} 1\n', /bad escape/],
    ['# TYPE x counter\nx{a="1",a="2"} 1\n', /twice/],
    ['# TYPE x counter\nx one\n', /bad value/],
    ['# TYPE x counter\nx 1 2 3\n', /too many/],
    ['# TYPE x widget\n', /unknown type/],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /cumulative/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /is not _count/],
  ];
  for (const [text, message] of bad) assert.throws(() => parsePrometheusText(text), message, text);
});
