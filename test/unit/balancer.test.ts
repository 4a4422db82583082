import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leastInFlight } from '../../src/proxy/balancer.js';

const cases: { name: string; inFlight: number[]; start: number; want: number | undefined }[] = [
  { name: 'no backends', inFlight: [], start: 0, want: undefined },
  { name: 'one backend, busy', inFlight: [7], start: 3, want: 0 },
  { name: 'all idle, start 0', inFlight: [0, 0, 0], start: 0, want: 0 },
  { name: 'all idle, start 1', inFlight: [0, 0, 0], start: 1, want: 1 },
  { name: 'all idle, start wraps', inFlight: [0, 0, 0], start: 5, want: 2 },
  { name: 'negative start wraps', inFlight: [0, 0, 0], start: -1, want: 2 },
  { name: 'least wins whatever the start', inFlight: [2, 1, 3], start: 0, want: 1 },
  { name: 'least wins from the end', inFlight: [2, 1, 3], start: 2, want: 1 },
  { name: 'tie among the least: first from start', inFlight: [1, 0, 0], start: 0, want: 1 },
  { name: 'tie among the least: rotates', inFlight: [1, 0, 0], start: 2, want: 2 },
  { name: 'tie among the least: wraps to it', inFlight: [0, 1, 0], start: 1, want: 2 },
  { name: 'busy tie', inFlight: [3, 3], start: 1, want: 1 },
  { name: 'large counts', inFlight: [1000, 999, 1001], start: 0, want: 1 },
];

for (const c of cases) {
  test(`leastInFlight: ${c.name}`, () => {
    const backends = c.inFlight.map((inFlight, index) => ({ inFlight, index }));
    assert.equal(leastInFlight(backends, c.start)?.index, c.want);
  });
}

test('leastInFlight: equal backends take turns as the start advances', () => {
  const backends = [0, 1, 2, 3].map((index) => ({ inFlight: 0, index }));
  const counts = [0, 0, 0, 0];
  for (let start = 0; start < 400; start++) counts[leastInFlight(backends, start)!.index]!++;
  assert.deepEqual(counts, [100, 100, 100, 100]);
});

test('leastInFlight: counting picks in flight spreads them evenly', () => {
  const backends = [0, 1, 2].map((index) => ({ inFlight: 0, index }));
  for (let start = 0; start < 9; start++) leastInFlight(backends, start)!.inFlight++;
  assert.deepEqual(
    backends.map((b) => b.inFlight),
    [3, 3, 3],
  );
});
