import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration, type BareUnit } from '../../src/core/config/duration.js';

const cases: { input: unknown; unit: BareUnit; want: number | undefined }[] = [
  // Bare numbers take the caller's unit.
  { input: 5, unit: 's', want: 5_000 },
  { input: 300, unit: 's', want: 300_000 },
  { input: 10000, unit: 'ms', want: 10_000 },
  { input: 0, unit: 's', want: 0 },
  { input: 1.5, unit: 's', want: 1_500 },
  { input: '30', unit: 's', want: 30_000 },
  { input: '250', unit: 'ms', want: 250 },
  // Strings carry their own unit, whatever the caller says.
  { input: '5s', unit: 'ms', want: 5_000 },
  { input: '500ms', unit: 's', want: 500 },
  { input: '1m30s', unit: 's', want: 90_000 },
  { input: '1m0s', unit: 's', want: 60_000 },
  { input: '2h', unit: 's', want: 7_200_000 },
  { input: '1h2m3s4ms', unit: 's', want: 3_723_004 },
  { input: '1.5s', unit: 's', want: 1_500 },
  { input: '.5s', unit: 's', want: 500 },
  { input: '1d', unit: 's', want: 86_400_000 },
  { input: '1500us', unit: 's', want: 2 },
  { input: ' 10s ', unit: 's', want: 10_000 },
  { input: '0s', unit: 's', want: 0 },
  // Not durations.
  { input: '', unit: 's', want: undefined },
  { input: 's', unit: 's', want: undefined },
  { input: '5 s', unit: 's', want: undefined },
  { input: '5 seconds', unit: 's', want: undefined },
  { input: '5x', unit: 's', want: undefined },
  { input: '-5s', unit: 's', want: undefined },
  { input: '1m 30s', unit: 's', want: undefined },
  { input: -1, unit: 's', want: undefined },
  { input: Number.NaN, unit: 's', want: undefined },
  { input: Number.POSITIVE_INFINITY, unit: 'ms', want: undefined },
  { input: true, unit: 's', want: undefined },
  { input: null, unit: 's', want: undefined },
  { input: ['5s'], unit: 's', want: undefined },
];

for (const { input, unit, want } of cases) {
  test(`parseDuration(${JSON.stringify(input) ?? String(input)}, ${unit}) = ${String(want)}`, () => {
    assert.equal(parseDuration(input, unit), want);
  });
}

const formats: [number, string][] = [
  [0, '0s'],
  [500, '500ms'],
  [5_000, '5s'],
  [90_000, '1m30s'],
  [3_723_004, '1h2m3s4ms'],
];

for (const [ms, want] of formats) {
  test(`formatDuration(${ms}) = ${want}, and parses back`, () => {
    assert.equal(formatDuration(ms), want);
    assert.equal(parseDuration(want, 's'), ms);
  });
}
