import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArtifactStore } from '../../src/artifacts/store.js';
import { isBerthError, type ErrorCode } from '../../src/core/errors.js';

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function withStore(maxBytes: number, fn: (store: ArtifactStore, dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-store-test-'));
  try {
    await fn(new ArtifactStore(dir, { maxBytes }), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function rejectsWith(code: ErrorCode) {
  return (err: unknown) => {
    assert.ok(isBerthError(err), String(err));
    assert.equal(err.code, code, err.message);
    return true;
  };
}

/** A body of `chunks` chunks of `size` bytes that counts how many were read. */
function countingBody(chunks: number, size: number) {
  const state = { pulled: 0 };
  const body = new Readable({
    read() {
      if (state.pulled === chunks) return void this.push(null);
      state.pulled++;
      this.push(Buffer.alloc(size, 7));
    },
  });
  return { body, state };
}

const temps = (dir: string) => readdirSync(path.join(dir, 'sha256')).filter((n) => n.startsWith('.'));

test('put stores a body under its digest', async () => {
  await withStore(1024 * 1024, async (store) => {
    const bytes = Buffer.from('a packed tree');
    const digest = digestOf(bytes);
    assert.equal(store.has(digest), false);
    assert.deepEqual(await store.put(digest, Readable.from([bytes])), {
      digest,
      size: bytes.length,
      created: true,
    });
    assert.equal(store.has(digest), true);
    assert.ok(store.path(digest).endsWith(`sha256/${digest.slice(7)}.tar.gz`));
    assert.deepEqual(readFileSync(store.path(digest)), bytes);
    const listed = store.list();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.digest, digest);
    assert.equal(listed[0]!.size, bytes.length);
    assert.ok(listed[0]!.mtime instanceof Date);
  });
});

test('a second put of the same digest reads the body and creates nothing', async () => {
  await withStore(1024 * 1024, async (store) => {
    const bytes = Buffer.from('same tree');
    const digest = digestOf(bytes);
    await store.put(digest, Readable.from([bytes]));
    const { body, state } = countingBody(4, 100);
    assert.deepEqual(await store.put(digest, body), { digest, size: bytes.length, created: false });
    assert.equal(state.pulled, 4);
    assert.equal(body.readableEnded, true);
    assert.deepEqual(readFileSync(store.path(digest)), bytes);
  });
});

test('a body that does not hash to its digest is refused and not kept', async () => {
  await withStore(1024 * 1024, async (store, dir) => {
    const claimed = digestOf(Buffer.from('what the client said'));
    await assert.rejects(
      store.put(claimed, Readable.from([Buffer.from('what it sent')])),
      rejectsWith('digest_mismatch'),
    );
    assert.equal(store.has(claimed), false);
    assert.deepEqual(temps(dir), []);
    assert.deepEqual(store.list(), []);
  });
});

test('a body over the limit is refused without reading the rest of it', async () => {
  await withStore(10_000, async (store, dir) => {
    const { body, state } = countingBody(1000, 1000);
    await assert.rejects(store.put(digestOf(Buffer.from('x')), body), (err: unknown) => {
      rejectsWith('archive_too_large')(err);
      assert.match((err as Error).message, /10000 bytes/);
      return true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(state.pulled < 50, `read ${state.pulled} chunks of a refused body`);
    assert.deepEqual(temps(dir), []);
    body.destroy();
  });
});

test('a body of exactly the limit is accepted', async () => {
  await withStore(1000, async (store) => {
    const bytes = Buffer.alloc(1000, 1);
    assert.equal((await store.put(digestOf(bytes), Readable.from([bytes]))).created, true);
  });
});

test('an interrupted upload leaves nothing behind', async () => {
  await withStore(1024 * 1024, async (store, dir) => {
    const body = new Readable({ read() {} });
    const put = store.put(digestOf(Buffer.from('whole')), body);
    body.push(Buffer.from('half'));
    setImmediate(() => body.destroy(new Error('connection reset')));
    await assert.rejects(put, /connection reset/);
    assert.deepEqual(temps(dir), []);
  });
});

const badDigests = [
  'sha256:abc',
  `md5:${'a'.repeat(64)}`,
  `sha256:${'A'.repeat(64)}`,
  'a'.repeat(64),
  `sha256:${'a'.repeat(64)}/../x`,
  `sha256:${'g'.repeat(64)}`,
];

for (const bad of badDigests) {
  test(`a malformed digest is refused: ${bad.slice(0, 24)}`, async () => {
    await withStore(1024, async (store) => {
      assert.throws(() => store.has(bad), rejectsWith('invalid_request'));
      assert.throws(() => store.path(bad), rejectsWith('invalid_request'));
      assert.throws(() => store.remove(bad), rejectsWith('invalid_request'));
      await assert.rejects(store.put(bad, Readable.from([Buffer.from('x')])), rejectsWith('invalid_request'));
    });
  });
}

test('remove deletes an artifact once', async () => {
  await withStore(1024, async (store) => {
    const bytes = Buffer.from('prunable');
    const digest = digestOf(bytes);
    await store.put(digest, Readable.from([bytes]));
    assert.equal(store.remove(digest), true);
    assert.equal(store.remove(digest), false);
    assert.equal(store.has(digest), false);
    assert.deepEqual(store.list(), []);
  });
});

test('uploads abandoned by a dead daemon are swept; list shows only artifacts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-store-test-'));
  try {
    const first = new ArtifactStore(dir, { maxBytes: 1024 });
    const stale = path.join(dir, 'sha256', '.upload-old');
    const fresh = path.join(dir, 'sha256', '.upload-new');
    writeFileSync(stale, 'x');
    writeFileSync(fresh, 'x');
    writeFileSync(path.join(dir, 'sha256', 'notes.txt'), 'x');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, old, old);
    assert.deepEqual(first.list(), []);
    new ArtifactStore(dir, { maxBytes: 1024 });
    assert.deepEqual(temps(dir), ['.upload-new']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
