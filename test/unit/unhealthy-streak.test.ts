// Table-driven: how one more check result changes a check's failures in a row, and when a
// streak is long enough to fail the machine's batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_UNHEALTHY_CHECKS,
  maxUnhealthyChecksOf,
  nextFailureStreak,
  tooManyFailures,
} from '../../src/core/health/unhealthy-streak.js';

const GRACE_ENDS = 5000;

const cases: { name: string; streak: number; ok: boolean; at: number; want: number }[] = [
  { name: 'a first failure after the grace period', streak: 0, ok: false, at: 6000, want: 1 },
  { name: 'another failure in a row', streak: 4, ok: false, at: 9000, want: 5 },
  { name: 'a pass ends the streak', streak: 9, ok: true, at: 9000, want: 0 },
  { name: 'a failure inside the grace period does not count', streak: 0, ok: false, at: 4999, want: 0 },
  { name: 'a failure right at the end of the grace period counts', streak: 0, ok: false, at: 5000, want: 1 },
  { name: 'a pass inside the grace period still ends a streak', streak: 2, ok: true, at: 100, want: 0 },
];

for (const c of cases) {
  test(`failure streak: ${c.name}`, () => {
    const result = { ok: c.ok, detail: c.ok ? '200 OK' : '500 Internal Server Error', at: c.at };
    assert.equal(nextFailureStreak(c.streak, result, GRACE_ENDS), c.want);
  });
}

test('a streak fails the machine once it reaches the limit, not before', () => {
  const table: [streak: number, max: number, fails: boolean][] = [
    [0, 1, false],
    [1, 1, true],
    [9, 10, false],
    [10, 10, true],
    [11, 10, true],
  ];
  for (const [streak, max, fails] of table)
    assert.equal(tooManyFailures(streak, max), fails, `${streak}/${max}`);
});

test('max_unhealthy_checks: the config value, else the default of 10 for releases stored before it', () => {
  assert.equal(DEFAULT_MAX_UNHEALTHY_CHECKS, 10);
  assert.equal(maxUnhealthyChecksOf({}), 10);
  assert.equal(maxUnhealthyChecksOf({ maxUnhealthyChecks: 3 }), 3);
});
