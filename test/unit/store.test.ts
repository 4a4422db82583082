import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase } from '../../src/store/database.js';
import type { AppConfig } from '../../src/core/config/types.js';

function withStore(fn: (store: Store, file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  const file = join(dir, 'berth.db');
  const store = new Store(file);
  try {
    fn(store, file);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const config = { env: {}, processes: {} } as unknown as AppConfig;

test('store: a real SQLite file in WAL mode with every migration applied', () => {
  withStore((store) => {
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    const versions = store.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    assert.deepEqual(
      versions.map((v) => v.version),
      MIGRATIONS.map((m) => m.version),
    );
  });
});

test('store: reopening applies nothing twice; a newer schema is refused', () => {
  withStore((store, file) => {
    store.apps.create('a', 'admin');
    const again = openDatabase(file);
    again.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'now')").run();
    raw.close();
    assert.throws(() => openDatabase(file), /newer than this berth understands/);
  });
});

test('store: release versions count up per app', () => {
  withStore((store) => {
    store.apps.create('a', 'admin');
    store.apps.create('b', 'admin');
    const mk = (app: string) =>
      store.releases.create({
        app,
        description: 'deploy',
        createdBy: 'admin',
        artifactDigest: 'sha256:x',
        configFile: 'berth.toml',
        config,
      }).version;
    assert.deepEqual([mk('a'), mk('a'), mk('b'), mk('a')], [1, 2, 1, 3]);
  });
});

test('store: destroying an app removes its releases and machines, keeps events', () => {
  withStore((store) => {
    store.apps.create('a', 'admin');
    store.releases.create({
      app: 'a',
      description: 'deploy',
      createdBy: 'admin',
      artifactDigest: 'sha256:x',
      configFile: 'f',
      config,
    });
    store.machines.create({
      id: 'm1',
      app: 'a',
      releaseVersion: 1,
      processGroup: 'app',
      command: 'x',
      managed: true,
    });
    store.events.append({ app: 'a', kind: 'app.created', message: 'created' });
    store.apps.delete('a');
    assert.equal(store.releases.list('a').length, 0);
    assert.equal(store.machines.get('m1'), undefined);
    assert.equal(store.events.list({ app: 'a' }).length, 1);
  });
});

test('store: tokens are stored hashed and verified', () => {
  withStore((store) => {
    const token = store.tokens.create('admin', { role: 'admin' });
    assert.match(token, /^berth_/);
    assert.equal(store.tokens.verify(token)?.user, 'admin');
    assert.equal(store.tokens.verify(token + 'x'), undefined);
    const raw = store.db.prepare('SELECT token_hash FROM tokens').get() as { token_hash: string };
    assert.notEqual(raw.token_hash, token);
  });
});

test('store: events are published to subscribers as they are appended', () => {
  withStore((store) => {
    const seen: string[] = [];
    const off = store.events.subscribe((e) => seen.push(e.kind));
    store.events.append({ kind: 'one', message: '1' });
    off();
    store.events.append({ kind: 'two', message: '2' });
    assert.deepEqual(seen, ['one']);
  });
});
