import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../../src/core/errors.js';
import {
  assertVolumeName,
  formatSize,
  isVolumeId,
  parseVolumeSize,
} from '../../src/core/volumes/volume-name.js';

const GB = 1024 ** 3;
const MB = 1024 ** 2;

test('volume names: lowercase letters, digits and underscores, starting with a letter, at most 30', () => {
  const cases: Array<[string, boolean]> = [
    ['data', true],
    ['pg_data2', true],
    ['a', true],
    ['a'.repeat(30), true],
    ['a'.repeat(31), false],
    ['Data', false],
    ['my-data', false],
    ['1data', false],
    ['_data', false],
    ['', false],
    ['da ta', false],
    ['../etc', false],
  ];
  for (const [name, ok] of cases) {
    if (ok) assert.doesNotThrow(() => assertVolumeName(name), name);
    else
      assert.throws(
        () => assertVolumeName(name),
        (err: unknown) => err instanceof BerthError && err.code === 'invalid_volume' && err.status === 400,
        name,
      );
  }
});

test('volume sizes: units are powers of 1024; a bare number is gigabytes; out of range is refused', () => {
  const cases: Array<[string, number | 'error']> = [
    ['1gb', GB],
    ['10GB', 10 * GB],
    ['10g', 10 * GB],
    ['1.5gib', 1.5 * GB],
    ['512mb', 512 * MB],
    ['512 MB', 512 * MB],
    ['3', 3 * GB],
    ['1tb', 1024 * GB],
    ['1mb', MB],
    ['1kb', 'error'],
    ['0', 'error'],
    ['17tb', 'error'],
    ['lots', 'error'],
    ['-1gb', 'error'],
    ['1 gigabyte', 'error'],
  ];
  for (const [text, expected] of cases) {
    if (expected === 'error') {
      assert.throws(
        () => parseVolumeSize(text),
        (err: unknown) => err instanceof BerthError && err.code === 'invalid_volume' && /1gb/.test(err.hint),
        text,
      );
    } else assert.equal(parseVolumeSize(text), expected, text);
  }
});

test('sizes print for people; volume ids look like vol_ and 16 hex digits', () => {
  assert.equal(formatSize(GB), '1 GB');
  assert.equal(formatSize(1.5 * GB), '1.5 GB');
  assert.equal(formatSize(512 * MB), '512 MB');
  assert.equal(formatSize(4096), '4 KB');
  assert.equal(formatSize(12), '12 B');
  assert.ok(isVolumeId('vol_0123456789abcdef'));
  for (const id of ['vol_0123', 'vol_0123456789ABCDEF', '../vol_0123456789abcdef', '0123456789abcdef'])
    assert.ok(!isVolumeId(id), id);
});
