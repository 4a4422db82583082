// Which release images of an app are removed: all but the newest ten and the ones still named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseTagsToRemove } from '../../src/drivers/docker/prune-images.js';

const tags = (versions: number[], app = 'web') =>
  versions.map((v) => ({ tag: `berth/${app}:v${v}`, imageId: `id${v}` }));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const cases: { name: string; have: { tag: string; imageId: string }[]; keep: number[]; want: number[] }[] = [
  { name: 'ten or fewer: nothing', have: tags(range(1, 10)), keep: [], want: [] },
  { name: 'the oldest beyond ten, oldest first', have: tags(range(1, 13)), keep: [], want: [1, 2, 3] },
  { name: 'a named old release stays', have: tags(range(1, 13)), keep: [2], want: [1, 3] },
  {
    name: 'versions sort as numbers',
    have: tags([9, 10, 100, 11, 2, 1, 12, 13, 14, 15, 16]),
    keep: [],
    want: [1],
  },
  {
    name: 'tags berth did not write are not touched',
    have: [
      ...tags(range(1, 12)),
      { tag: 'berth/web:latest', imageId: 'x' },
      { tag: 'berth/web:v01', imageId: 'y' },
    ],
    keep: [],
    want: [1, 2],
  },
  {
    name: "another app's tags are not this app's",
    have: [...tags(range(1, 11)), ...tags([0, 1], 'webapp')],
    keep: [],
    want: [1],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const keep = c.keep.map((v) => ({ image: `berth/web:v${v}` }));
    assert.deepEqual(
      releaseTagsToRemove('web', c.have, keep),
      c.want.map((v) => `berth/web:v${v}`),
    );
  });
}

test('shared image ids do not keep a tag: several releases of one image as given', () => {
  const shared = range(1, 12).map((v) => ({ tag: `berth/web:v${v}`, imageId: 'same' }));
  assert.deepEqual(releaseTagsToRemove('web', shared, [{ image: 'berth/web:v12' }]), [
    'berth/web:v1',
    'berth/web:v2',
  ]);
});
