import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNameFromDirectory, isValidAppName } from '../../src/core/app-name.js';

const names: Array<[string, boolean]> = [
  ['hello', true],
  ['my-app-2', true],
  ['a', true],
  ['Hello', false],
  ['2fast', false],
  ['trailing-', false],
  ['under_score', false],
  ['a'.repeat(63), true],
  ['a'.repeat(64), false],
  ['', false],
];
for (const [name, ok] of names) {
  test(`app name "${name.slice(0, 20)}" is ${ok ? 'valid' : 'invalid'}`, () =>
    assert.equal(isValidAppName(name), ok));
}

const dirs: Array<[string, string | undefined]> = [
  ['hello', 'hello'],
  ['My_App', 'my-app'],
  ['2048-game', 'game'],
  ['___', undefined],
  ['web.worker', 'web-worker'],
];
for (const [dir, expected] of dirs) {
  test(`directory "${dir}" gives app name ${expected}`, () =>
    assert.equal(appNameFromDirectory(dir), expected));
}
