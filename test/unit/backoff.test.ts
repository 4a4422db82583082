import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelayMs, shouldResetBackoff } from '../../src/core/backoff.js';

test('restartDelayMs doubles from the base up to the cap', () => {
  const cases: [attempt: number, options: Parameters<typeof restartDelayMs>[1], expected: number][] = [
    [0, undefined, 500],
    [1, undefined, 1_000],
    [2, undefined, 2_000],
    [5, undefined, 16_000],
    [6, undefined, 30_000],
    [7, undefined, 30_000],
    [1_000, undefined, 30_000],
    [Number.MAX_SAFE_INTEGER, undefined, 30_000],
    [Infinity, undefined, 500],
    [-1, undefined, 500],
    [NaN, undefined, 500],
    [2.7, undefined, 2_000],
    [0, { baseMs: 100 }, 100],
    [3, { baseMs: 100 }, 800],
    [3, { baseMs: 100, maxMs: 500 }, 500],
    [0, { baseMs: 1_000, maxMs: 200 }, 200],
    [10, { baseMs: 0 }, 0],
    [2_000, { baseMs: 0 }, 0],
    [4, { maxMs: 0 }, 0],
  ];
  for (const [attempt, options, expected] of cases) {
    assert.equal(restartDelayMs(attempt, options), expected, `attempt ${attempt} ${JSON.stringify(options)}`);
  }
});

test('restartDelayMs never decreases as attempts grow', () => {
  let previous = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    const delay = restartDelayMs(attempt);
    assert.ok(delay >= previous, `attempt ${attempt}`);
    previous = delay;
  }
});

test('shouldResetBackoff once a machine has stayed up long enough', () => {
  const cases: [uptimeMs: number, stableMs: number | undefined, expected: boolean][] = [
    [0, undefined, false],
    [9_999, undefined, false],
    [10_000, undefined, true],
    [60_000, undefined, true],
    [499, 500, false],
    [500, 500, true],
    [0, 0, true],
    [-5, undefined, false],
  ];
  for (const [uptimeMs, stableMs, expected] of cases) {
    assert.equal(shouldResetBackoff(uptimeMs, stableMs), expected, `${uptimeMs} of ${stableMs}`);
  }
});
