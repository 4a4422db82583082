// The deploy lock against a real SQLite file: the store's atomic acquire, and DeployLocks'
// waiting, heartbeat, takeover and release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../src/core/errors.js';
import { DeployLocks } from '../../src/daemon/deploy-lock.js';
import { Store } from '../../src/store/store.js';

async function withStore(fn: (store: Store, file: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-locks-'));
  const file = join(dir, 'berth.db');
  const store = new Store(file);
  try {
    await fn(store, file);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const T0 = new Date('2026-11-23T09:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

test('lock store: the first acquire wins, a second owner is told who holds it', () =>
  withStore((store) => {
    const first = store.locks.tryAcquire('hello', '12', 'admin', 60_000, T0);
    assert.ok(first.acquired);
    assert.deepEqual(first.lock, {
      app: 'hello',
      owner: '12',
      user: 'admin',
      acquiredAt: T0.toISOString(),
      heartbeatAt: T0.toISOString(),
      expiresAt: at(60).toISOString(),
    });
    const second = store.locks.tryAcquire('hello', '13', 'bob', 60_000, at(10));
    assert.equal(second.acquired, false);
    assert.equal(!second.acquired && second.holder.owner, '12');
    // Other apps are independent.
    assert.ok(store.locks.tryAcquire('other', '13', 'bob', 60_000, at(10)).acquired);
  }));

test('lock store: the same owner acquiring again renews, keeping acquiredAt', () =>
  withStore((store) => {
    store.locks.tryAcquire('hello', '12', 'admin', 60_000, T0);
    const again = store.locks.tryAcquire('hello', '12', 'admin', 60_000, at(30));
    assert.ok(again.acquired);
    assert.equal(again.lock.acquiredAt, T0.toISOString());
    assert.equal(again.lock.expiresAt, at(90).toISOString());
    assert.equal(again.tookOver, undefined);
  }));

test('lock store: an expired lock is taken over, and the takeover says from whom', () =>
  withStore((store) => {
    store.locks.tryAcquire('hello', '12', 'admin', 60_000, T0);
    const late = store.locks.tryAcquire('hello', '13', 'bob', 60_000, at(60));
    assert.ok(late.acquired);
    assert.equal(late.lock.owner, '13');
    assert.equal(late.tookOver?.owner, '12');
    assert.equal(store.locks.get('hello')?.user, 'bob');
  }));

test('lock store: heartbeat renews only the owner; release by owner or broken outright', () =>
  withStore((store) => {
    store.locks.tryAcquire('hello', '12', 'admin', 60_000, T0);
    assert.equal(store.locks.heartbeat('hello', '12', 60_000, at(50)), true);
    assert.equal(store.locks.get('hello')?.expiresAt, at(110).toISOString());
    assert.equal(store.locks.get('hello')?.heartbeatAt, at(50).toISOString());
    assert.equal(store.locks.heartbeat('hello', '99', 60_000, at(50)), false);
    // Renewed, so still held at 100s.
    assert.equal(store.locks.tryAcquire('hello', '13', 'bob', 60_000, at(100)).acquired, false);

    assert.equal(store.locks.release('hello', '99'), undefined);
    assert.ok(store.locks.get('hello'));
    assert.equal(store.locks.release('hello', '12')?.owner, '12');
    assert.equal(store.locks.get('hello'), undefined);

    store.locks.tryAcquire('hello', '14', 'carol', 60_000, at(120));
    assert.equal(store.locks.release('hello')?.owner, '14');
    assert.equal(store.locks.release('hello'), undefined);
    assert.equal(store.locks.heartbeat('hello', '14', 60_000), false);
  }));

test('lock store: two connections to one file cannot both take the lock', () =>
  withStore((store, file) => {
    const other = new Store(file);
    try {
      assert.ok(store.locks.tryAcquire('hello', 'a', 'admin', 60_000).acquired);
      assert.equal(other.locks.tryAcquire('hello', 'b', 'admin', 60_000).acquired, false);
    } finally {
      other.close();
    }
  }));

test('DeployLocks: a held lock fails at once without a wait, naming holder and time', () =>
  withStore(async (store) => {
    const locks = new DeployLocks(store.locks, { pollMs: 20 });
    const lease = await locks.acquire('hello', { owner: '12', user: 'admin' });
    await assert.rejects(locks.acquire('hello', { owner: '13', user: 'bob' }), (err: unknown) => {
      assert.ok(isBerthError(err));
      assert.equal(err.code, 'deploy_locked');
      assert.equal(err.status, 409);
      assert.match(
        err.message,
        /^app "hello" is locked: held by admin \(deployment 12\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/,
      );
      assert.match(err.hint, /--lock-wait 5m/);
      assert.match(err.hint, /berth lock release -a hello/);
      return true;
    });
    lease.release();
    assert.equal(store.locks.get('hello'), undefined);
  }));

test('DeployLocks: waits for the lock, then fails after the wait, saying how long', () =>
  withStore(async (store) => {
    const locks = new DeployLocks(store.locks, { pollMs: 20 });
    const lease = await locks.acquire('hello', { owner: '12', user: 'admin' });
    const started = Date.now();
    await assert.rejects(
      locks.acquire('hello', { owner: '13', user: 'bob', waitMs: 200 }),
      /after waiting 200ms/,
    );
    assert.ok(Date.now() - started >= 190);
    lease.release();
  }));

test('DeployLocks: a waiter gets the lock as soon as the holder releases it', () =>
  withStore(async (store) => {
    const locks = new DeployLocks(store.locks, { pollMs: 20 });
    const first = await locks.acquire('hello', { owner: '12', user: 'admin' });
    setTimeout(() => first.release(), 100);
    const second = await locks.acquire('hello', { owner: '13', user: 'bob', waitMs: 5_000 });
    assert.equal(store.locks.get('hello')?.owner, '13');
    assert.equal(second.tookOver, undefined);
    second.release();
  }));

test('DeployLocks: a holder that stopped its heartbeat expires and is taken over', () =>
  withStore(async (store) => {
    const locks = new DeployLocks(store.locks, { pollMs: 20 });
    // A dead holder: a row that nobody renewed, expired a minute ago.
    store.locks.tryAcquire('hello', 'ghost', 'admin', 60_000, new Date(Date.now() - 120_000));
    const lease = await locks.acquire('hello', { owner: '13', user: 'bob' });
    assert.equal(lease.tookOver?.owner, 'ghost');
    assert.equal(store.locks.get('hello')?.owner, '13');
    lease.release();
  }));

test('DeployLocks: the lease heartbeat keeps a short lock alive', () =>
  withStore(async (store) => {
    const locks = new DeployLocks(store.locks, { pollMs: 20 });
    const lease = await locks.acquire('hello', { owner: '12', user: 'admin', ttlMs: 300 });
    const first = store.locks.get('hello')!;
    // Waits for the renewal itself, not for a time: a loaded machine only makes it later.
    for (let i = 0; store.locks.get('hello')!.heartbeatAt === first.heartbeatAt; i++) {
      assert.ok(i < 1_000, 'the lease never renewed its lock');
      await new Promise((r) => setTimeout(r, 10));
    }
    const renewed = store.locks.get('hello')!;
    assert.ok(Date.parse(renewed.expiresAt) > Date.parse(first.expiresAt), 'renewal moves the expiry on');
    // When the first lease would have run out, the renewed lock still holds.
    const contender = store.locks.tryAcquire('hello', '13', 'bob', 300, new Date(first.expiresAt));
    assert.equal(contender.acquired, false);
    assert.equal(lease.lost, false);
    lease.release();
  }));

test('DeployLocks: a broken lease is lost, reported once, and its release removes nothing new', () =>
  withStore(async (store) => {
    const locks = new DeployLocks(store.locks, { pollMs: 20 });
    let lostCalls = 0;
    const lease = await locks.acquire('hello', { owner: '12', user: 'admin', onLost: () => lostCalls++ });
    store.locks.release('hello');
    const next = await locks.acquire('hello', { owner: '13', user: 'bob' });
    assert.equal(lease.heartbeat(), false);
    assert.equal(lease.heartbeat(), false);
    assert.equal(lease.lost, true);
    assert.equal(lostCalls, 1);
    lease.release();
    assert.equal(store.locks.get('hello')?.owner, '13');
    next.release();
  }));
