// Artifact pruning against a real Store and ArtifactStore in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ArtifactStore } from '../../src/artifacts/store.js';
import type { AppConfig } from '../../src/core/config/types.js';
import { pruneArtifacts } from '../../src/daemon/artifact-pruner.js';
import { Store } from '../../src/store/store.js';

const config = { env: {}, processes: {} } as unknown as AppConfig;
const HOUR = 60 * 60_000;

interface Fixture {
  store: Store;
  artifacts: ArtifactStore;
  /** Stores an artifact whose last upload was `ageMs` ago; returns its digest. */
  upload(name: string, ageMs?: number): Promise<string>;
  release(app: string, digest: string): number;
}

async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-prune-'));
  const store = new Store(join(dir, 'berth.db'));
  const artifacts = new ArtifactStore(join(dir, 'artifacts'), { maxBytes: 1024 * 1024 });
  const fixture: Fixture = {
    store,
    artifacts,
    async upload(name, ageMs = 2 * HOUR) {
      const bytes = Buffer.from(`tree ${name}`);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      await artifacts.put(digest, Readable.from([bytes]));
      const when = new Date(Date.now() - ageMs);
      utimesSync(artifacts.path(digest), when, when);
      return digest;
    },
    release(app, digest) {
      store.apps.create(app, 'admin');
      const r = store.releases.create({
        app,
        description: 'deploy',
        createdBy: 'admin',
        artifactDigest: digest,
        configFile: 'berth.toml',
        config,
      });
      store.releases.setStatus(app, r.version, 'complete');
      store.apps.setCurrentRelease(app, r.version);
      return r.version;
    },
  };
  try {
    await fn(fixture);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('pruning keeps the artifacts of the newest 10 releases of each app and deletes older ones', () =>
  withFixture(async (f) => {
    const digests: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const d = await f.upload(`a${i}`);
      digests.push(d);
      f.release('a', d);
    }
    const result = pruneArtifacts(f.store, f.artifacts);
    assert.deepEqual(result.removed.sort(), [digests[0], digests[1]].sort());
    assert.equal(result.kept, 10);
    for (const d of digests.slice(2)) assert.ok(f.artifacts.has(d));
    assert.ok(!f.artifacts.has(digests[0]!));
  }));

test('an artifact used by an old release but also by a recent one is kept', () =>
  withFixture(async (f) => {
    const shared = await f.upload('shared');
    f.release('a', shared);
    for (let i = 0; i < 10; i++) f.release('a', await f.upload(`a${i}`));
    f.release('a', shared); // a rollback to v1 reuses its artifact
    pruneArtifacts(f.store, f.artifacts);
    assert.ok(f.artifacts.has(shared));
  }));

test('each app keeps its own window; another app keeps a digest alive too', () =>
  withFixture(async (f) => {
    const common = await f.upload('common');
    f.release('a', common);
    for (let i = 0; i < 3; i++) f.release('a', await f.upload(`a${i}`));
    f.release('b', common);
    const result = pruneArtifacts(f.store, f.artifacts, { keepPerApp: 2 });
    assert.ok(f.artifacts.has(common));
    assert.equal(result.removed.length, 1); // a0 only: a's window is a1, a2; b's is common
  }));

test('the current release keeps its artifact even when newer failed releases push it out', () =>
  withFixture(async (f) => {
    const live = await f.upload('live');
    const version = f.release('a', live);
    for (let i = 0; i < 3; i++) {
      const r = f.store.releases.create({
        app: 'a',
        description: 'deploy',
        createdBy: 'admin',
        artifactDigest: await f.upload(`bad${i}`),
        configFile: 'berth.toml',
        config,
      });
      f.store.releases.setStatus('a', r.version, 'failed', 'boom');
    }
    assert.equal(f.store.apps.get('a')?.currentRelease, version);
    pruneArtifacts(f.store, f.artifacts, { keepPerApp: 2 });
    assert.ok(f.artifacts.has(live));
  }));

test('an artifact uploaded within the last hour is never pruned, referenced or not', () =>
  withFixture(async (f) => {
    const fresh = await f.upload('fresh', 10 * 60_000);
    const stale = await f.upload('stale', 2 * HOUR);
    const result = pruneArtifacts(f.store, f.artifacts);
    assert.deepEqual(result.removed, [stale]);
    assert.ok(f.artifacts.has(fresh));
    // With the clock an hour on, it goes too.
    assert.deepEqual(pruneArtifacts(f.store, f.artifacts, { now: Date.now() + HOUR }).removed, [fresh]);
  }));

test('a destroyed app no longer keeps its artifacts', () =>
  withFixture(async (f) => {
    const d = await f.upload('gone');
    f.release('a', d);
    f.store.apps.delete('a');
    assert.deepEqual(pruneArtifacts(f.store, f.artifacts).removed, [d]);
  }));
