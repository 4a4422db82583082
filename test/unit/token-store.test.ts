// The token store on a real SQLite file: roles and apps kept, revoked and expired tokens
// refused, names unique among live tokens, last use written at most once a minute, and a
// home made before tokens had roles keeps its admin and metrics tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase } from '../../src/store/database.js';
import { hashToken } from '../../src/store/tokens.js';
import { isBerthError } from '../../src/core/errors.js';

function withStore(fn: (store: Store, file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tokens-'));
  const file = join(dir, 'berth.db');
  const store = new Store(file);
  try {
    fn(store, file);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('token store: a token keeps its role, apps, expiry and maker', () => {
  withStore((store) => {
    const secret = store.tokens.create('ci', {
      role: 'deployer',
      apps: ['web', 'web', 'api'],
      expiresAt: '2999-01-01T00:00:00.000Z',
      createdBy: 'admin',
    });
    const owner = store.tokens.verify(secret);
    assert.deepEqual(
      { ...owner, id: undefined },
      {
        id: undefined,
        name: 'ci',
        user: 'ci',
        role: 'deployer',
        apps: ['web', 'api'],
        expiresAt: '2999-01-01T00:00:00.000Z',
      },
    );
    assert.deepEqual(store.tokens.owner(owner!.id)?.name, 'ci');
    const listed = store.tokens.byName('ci')!;
    assert.equal(listed.createdBy, 'admin');
    assert.ok(!JSON.stringify(store.tokens.list()).includes(hashToken(secret)), 'no hash is listed');
  });
});

test('token store: revoked and expired tokens stop working; a revoked name is free again', () => {
  withStore((store) => {
    const now = new Date('2030-01-01T00:00:00Z');
    const soon = store.tokens.create('soon', { role: 'viewer', expiresAt: '2030-01-01T00:01:00.000Z' });
    assert.equal(store.tokens.verify(soon, now)?.name, 'soon');
    assert.equal(store.tokens.verify(soon, new Date('2030-01-01T00:01:00Z')), undefined);
    const id = store.tokens.verify(soon, now)!.id;
    assert.equal(store.tokens.owner(id, new Date('2030-01-02T00:00:00Z')), undefined);

    const gone = store.tokens.create('gone', { role: 'deployer' });
    assert.throws(
      () => store.tokens.create('gone', { role: 'viewer' }),
      (err) => isBerthError(err) && err.code === 'token_exists',
    );
    const goneId = store.tokens.verify(gone)!.id;
    assert.equal(store.tokens.revoke('gone'), true);
    assert.equal(store.tokens.verify(gone), undefined);
    assert.equal(store.tokens.owner(goneId), undefined);
    assert.equal(store.tokens.revoke('gone'), false);
    const again = store.tokens.create('gone', { role: 'viewer' });
    assert.equal(store.tokens.verify(again)?.role, 'viewer');
  });
});

test('token store: admins that still work are counted, the named one left out', () => {
  withStore((store) => {
    store.tokens.create('admin', { role: 'admin' });
    store.tokens.create('old', { role: 'admin', expiresAt: '2000-01-01T00:00:00.000Z' });
    store.tokens.create('ci', { role: 'deployer' });
    assert.equal(store.tokens.countAdmins(), 1);
    assert.equal(store.tokens.countAdmins({ except: 'admin' }), 0);
    store.tokens.create('second', { role: 'admin' });
    assert.equal(store.tokens.countAdmins({ except: 'admin' }), 1);
  });
});

test('token store: last use is written at most once a minute', () => {
  withStore((store) => {
    const secret = store.tokens.create('ci', { role: 'viewer' });
    const at = (iso: string) => {
      store.tokens.verify(secret, new Date(iso));
      return store.tokens.byName('ci')!.lastUsedAt;
    };
    assert.equal(at('2030-01-01T00:00:00.000Z'), '2030-01-01T00:00:00.000Z');
    assert.equal(at('2030-01-01T00:00:59.000Z'), '2030-01-01T00:00:00.000Z');
    assert.equal(at('2030-01-01T00:01:00.000Z'), '2030-01-01T00:01:00.000Z');
  });
});

test('token store: a home from before roles keeps its admin and metrics tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tokens-'));
  const file = join(dir, 'berth.db');
  try {
    const before = MIGRATIONS.filter((m) => m.version <= 12);
    const db = openDatabase(file, before);
    const insert = db.prepare(
      'INSERT INTO tokens (id, name, user_name, token_hash, created_at, scope) VALUES (?, ?, ?, ?, ?, ?)',
    );
    insert.run('1', 'admin', 'admin', hashToken('berth_old_admin'), '2025-01-01T00:00:00.000Z', 'admin');
    insert.run(
      '2',
      'metrics',
      'metrics',
      hashToken('berth_old_metrics'),
      '2025-01-01T00:00:00.000Z',
      'metrics',
    );
    db.close();
    const store = new Store(file);
    try {
      assert.deepEqual(store.tokens.verify('berth_old_admin'), {
        id: '1',
        name: 'admin',
        user: 'admin',
        role: 'admin',
        apps: null,
        expiresAt: null,
      });
      assert.equal(store.tokens.verify('berth_old_metrics')?.role, 'metrics');
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
