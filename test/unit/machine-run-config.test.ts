import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../src/core/errors.js';
import { checkMachineName, checkPort, parseEnvPairs } from '../../src/core/machine-run-config.js';

const envs: Array<[string, string[], Record<string, string> | RegExp]> = [
  ['none', [], {}],
  ['one pair', ['A=1'], { A: '1' }],
  ['a value may contain =', ['URL=a=b=c'], { URL: 'a=b=c' }],
  ['an empty value', ['EMPTY='], { EMPTY: '' }],
  ['the last of a repeated name wins', ['A=1', 'A=2'], { A: '2' }],
  ['no =', ['A'], /"A" is not NAME=VALUE/],
  ['a name starting with a digit', ['1A=x'], /is not NAME=VALUE/],
  ['an empty name', ['=x'], /is not NAME=VALUE/],
  ["PORT is berth's", ['PORT=1'], /PORT is set by berth/],
  ["BERTH_ variables are berth's", ['BERTH_APP=x'], /BERTH_APP is set by berth/],
];

for (const [name, pairs, expected] of envs) {
  test(`-e parsing: ${name}`, () => {
    if (expected instanceof RegExp) {
      assert.throws(
        () => parseEnvPairs(pairs),
        (err: unknown) => isBerthError(err) && err.status === 400 && expected.test(err.message),
      );
    } else {
      assert.deepEqual(parseEnvPairs(pairs), expected);
    }
  });
}

const names: Array<[string, boolean]> = [
  ['console', true],
  ['job-1', true],
  ['1st', true],
  ['Console', false],
  ['-x', false],
  ['a_b', false],
  ['a'.repeat(63), true],
  ['a'.repeat(64), false],
];

for (const [name, ok] of names) {
  test(`machine name "${name.length > 10 ? name.slice(0, 8) + '…' : name}" is ${ok ? 'accepted' : 'refused'}`, () => {
    if (ok) assert.doesNotThrow(() => checkMachineName(name));
    else
      assert.throws(
        () => checkMachineName(name),
        (err: unknown) => isBerthError(err) && err.hint.length > 0,
      );
  });
}

const ports: Array<[number, boolean]> = [
  [1, true],
  [8080, true],
  [65535, true],
  [0, false],
  [65536, false],
  [80.5, false],
];

for (const [port, ok] of ports) {
  test(`port ${port} is ${ok ? 'accepted' : 'refused'}`, () => {
    if (ok) assert.doesNotThrow(() => checkPort(port));
    else
      assert.throws(
        () => checkPort(port),
        (err: unknown) => isBerthError(err) && err.status === 400,
      );
  });
}
