// The volumes table on a real SQLite file: attachment is one machine at a time, and a
// destroyed (retired) machine frees its volume without deleting it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';

function withStore(fn: (store: Store) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-volstore-'));
  const store = new Store(join(dir, 'berth.db'));
  try {
    fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function machine(store: Store, id: string): void {
  store.machines.create({
    id,
    app: 'a',
    releaseVersion: 1,
    processGroup: 'app',
    command: 'x',
    managed: true,
  });
  store.machines.setState(id, 'started');
}

test('volumes: several share a name; each free one is attached to one machine only', () => {
  withStore((store) => {
    store.apps.create('a', 'admin');
    store.volumes.create({ id: 'vol_0000000000000001', app: 'a', name: 'data', sizeBytes: 1 });
    store.volumes.create({ id: 'vol_0000000000000002', app: 'a', name: 'data', sizeBytes: 1 });
    store.volumes.create({ id: 'vol_0000000000000003', app: 'a', name: 'logs', sizeBytes: 1 });
    machine(store, 'm1');
    machine(store, 'm2');
    machine(store, 'm3');
    assert.equal(store.volumes.attachFree('a', 'data', 'm1')?.id, 'vol_0000000000000001');
    assert.equal(store.volumes.attachFree('a', 'data', 'm2')?.id, 'vol_0000000000000002');
    assert.equal(store.volumes.attachFree('a', 'data', 'm3'), undefined);
    assert.equal(store.volumes.attachFree('b', 'logs', 'm3'), undefined, 'another app has none');
    assert.deepEqual(
      store.volumes.listByMachine('m2').map((v) => v.id),
      ['vol_0000000000000002'],
    );
  });
});

test('volumes: a destroyed machine frees its volume, which keeps existing', () => {
  withStore((store) => {
    store.apps.create('a', 'admin');
    store.volumes.create({ id: 'vol_0000000000000001', app: 'a', name: 'data', sizeBytes: 1 });
    machine(store, 'm1');
    store.volumes.attachFree('a', 'data', 'm1');
    assert.equal(store.volumes.get('vol_0000000000000001')?.machineId, 'm1');
    store.machines.setState('m1', 'stopped');
    assert.equal(store.volumes.get('vol_0000000000000001')?.machineId, 'm1', 'a stopped machine keeps it');
    store.machines.setState('m1', 'destroyed');
    const freed = store.volumes.get('vol_0000000000000001')!;
    assert.equal(freed.machineId, null);
    assert.equal(freed.attachedAt, null);
    assert.deepEqual(store.volumes.listByMachine('m1'), []);
    machine(store, 'm2');
    assert.equal(store.volumes.attachFree('a', 'data', 'm2')?.id, 'vol_0000000000000001');
  });
});
