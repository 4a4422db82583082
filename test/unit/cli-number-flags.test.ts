import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationFlag } from '../../src/cli/duration-flag.js';
import { integerFlag } from '../../src/cli/number-flag.js';
import { parseVersionArg } from '../../src/cli/version-arg.js';
import { isBerthError } from '../../src/core/errors.js';

const lines = integerFlag('--lines', 0, 10_000);
const waitTimeout = durationFlag('--wait-timeout', 1000, 3_600_000);

const cases: [string, () => unknown, number | RegExp][] = [
  ['--lines 0', () => lines('0'), 0],
  ['--lines 10000', () => lines('10000'), 10_000],
  ['--lines abc', () => lines('abc'), /--lines "abc" is not a whole number from 0 to 10000/],
  ['--lines -1', () => lines('-1'), /from 0 to 10000/],
  ['--lines 1.5', () => lines('1.5'), /from 0 to 10000/],
  ['--lines 1e3', () => lines('1e3'), /from 0 to 10000/],
  ['--lines 10001', () => lines('10001'), /from 0 to 10000/],
  ['--lines of 30 digits', () => lines('9'.repeat(30)), /from 0 to 10000/],
  ['--wait-timeout 90s', () => waitTimeout('90s'), 90_000],
  ['--wait-timeout 30 (seconds)', () => waitTimeout('30'), 30_000],
  ['--wait-timeout 0.0001s', () => waitTimeout('0.0001s'), /not a duration between 1s and 3600s/],
  ['--wait-timeout 99999h', () => waitTimeout('99999h'), /not a duration between 1s and 3600s/],
  ['--wait-timeout soon', () => waitTimeout('soon'), /not a duration/],
  ['release v3', () => parseVersionArg('v3'), 3],
  ['release of 30 digits', () => parseVersionArg('9'.repeat(30)), /is not a release version/],
];

for (const [name, run, want] of cases) {
  test(`CLI argument ${name}`, () => {
    if (typeof want === 'number') {
      assert.equal(run(), want);
      return;
    }
    assert.throws(
      run,
      (err) => isBerthError(err) && err.code === 'invalid_request' && want.test(err.message),
    );
  });
}
