import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../src/core/errors.js';
import { checkScaleCount, checkScaleGroup } from '../../src/core/scale-count.js';
import { machinesToRemove, type ScaleCandidate } from '../../src/core/scale-down.js';
import { Store } from '../../src/store/store.js';
import type { AppConfig } from '../../src/core/config/types.js';

const m = (id: string, minute: number, o: { stopped?: boolean; serving?: boolean } = {}): ScaleCandidate => ({
  id,
  stopped: o.stopped ?? false,
  serving: o.serving ?? true,
  createdAt: `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`,
});

const removals: Array<[string, ScaleCandidate[], number, string[]]> = [
  ['nothing to remove when the group is at size', [m('a', 1), m('b', 2)], 2, []],
  ['nothing to remove when growing', [m('a', 1)], 3, []],
  ['the newest serving machine first', [m('a', 1), m('b', 2), m('c', 3)], 2, ['c']],
  ['newest first, several', [m('a', 1), m('b', 2), m('c', 3)], 1, ['c', 'b']],
  [
    'a stopped machine before any running one',
    [m('a', 1, { stopped: true }), m('b', 2), m('c', 3)],
    2,
    ['a'],
  ],
  [
    'a machine taking no traffic before serving ones',
    [m('a', 1), m('b', 2, { serving: false }), m('c', 3)],
    2,
    ['b'],
  ],
  [
    'stopped, then not serving, then newest',
    [
      m('a', 1),
      m('b', 2, { serving: false }),
      m('c', 3, { stopped: true, serving: false }),
      m('d', 4),
      m('e', 5),
    ],
    1,
    ['c', 'b', 'e', 'd'],
  ],
  [
    'two stopped: the newer goes first',
    [m('a', 1, { stopped: true }), m('b', 2, { stopped: true }), m('c', 3)],
    2,
    ['b'],
  ],
  ['scale to zero removes all', [m('a', 1), m('b', 2)], 0, ['b', 'a']],
  ['same creation time: ordered by id, stable', [m('a', 1), m('b', 1)], 1, ['b']],
  ['a negative size is treated as zero', [m('a', 1)], -1, ['a']],
];

for (const [name, machines, desired, expected] of removals) {
  test(`scale down: ${name}`, () => {
    assert.deepEqual(machinesToRemove(machines, desired), expected);
  });
}

const counts: Array<[unknown, boolean, RegExp?]> = [
  [0, true],
  [1, true],
  [100, true],
  [101, false, /more than one group may have \(100\)/],
  [-1, false, /not a machine count/],
  [1.5, false, /not a machine count/],
  [Number.NaN, false, /not a machine count/],
];

for (const [count, ok, message] of counts) {
  test(`scale count ${String(count)} is ${ok ? 'accepted' : 'refused'}`, () => {
    if (ok) return assert.doesNotThrow(() => checkScaleCount(count as number));
    assert.throws(
      () => checkScaleCount(count as number),
      (err: unknown) =>
        isBerthError(err) && err.status === 400 && message!.test(err.message) && err.hint.length > 0,
    );
  });
}

test('scale group: an unknown group is refused with the groups that exist', () => {
  assert.doesNotThrow(() => checkScaleGroup('web', ['web', 'worker'], 3));
  assert.throws(
    () => checkScaleGroup('wrker', ['web', 'worker'], 3),
    (err: unknown) =>
      isBerthError(err) &&
      /v3 has no process group "wrker"/.test(err.message) &&
      /web, worker/.test(err.hint),
  );
});

test('group scales: stored per app and group, updated in place, gone with the app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-scale-'));
  const store = new Store(join(dir, 'berth.db'));
  try {
    store.apps.create('a', 'admin');
    store.apps.create('b', 'admin');
    assert.deepEqual(store.groupScales.get('a'), {});
    store.groupScales.set('a', 'web', 3);
    store.groupScales.set('a', 'worker', 0);
    store.groupScales.set('b', 'web', 1);
    store.groupScales.set('a', 'web', 5);
    assert.deepEqual(store.groupScales.get('a'), { web: 5, worker: 0 });
    store.apps.delete('a');
    assert.deepEqual(store.groupScales.get('a'), {});
    assert.deepEqual(store.groupScales.get('b'), { web: 1 });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('machines: an unmanaged machine keeps its name and own config in its row', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-scale-'));
  const store = new Store(join(dir, 'berth.db'));
  try {
    store.apps.create('a', 'admin');
    store.releases.create({
      app: 'a',
      description: 'deploy',
      createdBy: 'admin',
      artifactDigest: 'sha256:x',
      configFile: 'f',
      config: { env: {}, processes: {} } as unknown as AppConfig,
    });
    const runConfig = { env: { MODE: 'console' }, port: 9000, autoDestroy: true, artifactDigest: null };
    store.machines.create({
      id: 'm1',
      app: 'a',
      releaseVersion: 1,
      processGroup: 'app',
      command: 'sh',
      managed: false,
      name: 'console',
      runConfig,
    });
    store.machines.create({
      id: 'm2',
      app: 'a',
      releaseVersion: 1,
      processGroup: 'app',
      command: 'x',
      managed: true,
    });
    assert.deepEqual(store.machines.get('m1')?.runConfig, runConfig);
    assert.equal(store.machines.get('m2')?.runConfig, null);
    assert.equal(store.machines.findByName('a', 'console')?.id, 'm1');
    // One live machine per name: a second is refused by the database itself.
    assert.throws(() =>
      store.machines.create({
        id: 'm3',
        app: 'a',
        releaseVersion: 1,
        processGroup: 'app',
        command: 'x',
        managed: false,
        name: 'console',
      }),
    );
    store.machines.setState('m1', 'destroyed');
    assert.equal(store.machines.findByName('a', 'console'), undefined);
    // A destroyed machine frees its name.
    store.machines.create({
      id: 'm4',
      app: 'a',
      releaseVersion: 1,
      processGroup: 'app',
      command: 'x',
      managed: false,
      name: 'console',
    });
    assert.equal(store.machines.findByName('a', 'console')?.id, 'm4');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
