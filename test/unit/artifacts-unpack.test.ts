import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { isBerthError, type ErrorCode } from '../../src/core/errors.js';
import { packDirectory } from '../../src/artifacts/pack.js';
import { unpackArchive } from '../../src/artifacts/unpack.js';
import { makeTar, makeTarGz, type TarEntry } from '../helpers/archives.js';

const MB = 1024 * 1024;

/** A scratch area: `work/` holds only the destination, so anything else in it escaped. */
async function scratch() {
  const base = await mkdtemp(path.join(os.tmpdir(), 'berth-unpack-test-'));
  const work = path.join(base, 'work');
  await mkdir(work);
  const archive = path.join(base, 'artifact.tar.gz');
  return { base, work, archive, dest: path.join(work, 'dest') };
}

const refusals: Array<{
  name: string;
  archive: TarEntry[] | (() => Buffer);
  code: ErrorCode;
  mentions: string;
  maxBytes?: number;
}> = [
  {
    name: 'a path climbing out',
    archive: [{ path: '../evil', type: 'file', body: 'x' }],
    code: 'unsafe_archive',
    mentions: '../evil',
  },
  {
    name: 'an absolute path',
    archive: [{ path: '/etc/passwd', type: 'file', body: 'x' }],
    code: 'unsafe_archive',
    mentions: '/etc/passwd',
  },
  {
    name: 'a ".." in the middle',
    archive: [{ path: 'a/../../b', type: 'file', body: 'x' }],
    code: 'unsafe_archive',
    mentions: 'a/../../b',
  },
  {
    name: 'a ".." that stays inside',
    archive: [{ path: 'a/../b', type: 'file', body: 'x' }],
    code: 'unsafe_archive',
    mentions: 'a/../b',
  },
  {
    name: 'a directory climbing out',
    archive: [{ path: './../up/', type: 'dir' }],
    code: 'unsafe_archive',
    mentions: './../up/',
  },
  {
    name: 'a backslash path',
    archive: [{ path: '..\\evil', type: 'file', body: 'x' }],
    code: 'unsafe_archive',
    mentions: '..\\evil',
  },
  {
    name: 'a long PAX path climbing out',
    archive: [{ path: `${'../'.repeat(40)}tmp/evil`, type: 'file', body: 'x' }],
    code: 'unsafe_archive',
    mentions: '../../',
  },
  {
    name: 'a symlink to /etc',
    archive: [{ path: 'x', type: 'symlink', linkpath: '/etc' }],
    code: 'unsafe_archive',
    mentions: '"x"',
  },
  {
    name: 'a symlink x -> ../../out',
    archive: [{ path: 'x', type: 'symlink', linkpath: '../../out' }],
    code: 'unsafe_archive',
    mentions: '../../out',
  },
  {
    name: 'a nested symlink climbing out',
    archive: [{ path: 'sub/deeper/x', type: 'symlink', linkpath: '../../../out' }],
    code: 'unsafe_archive',
    mentions: 'sub/deeper/x',
  },
  {
    name: 'a hard link out of the tree',
    archive: [{ path: 'h', type: 'link', linkpath: '../outside' }],
    code: 'unsafe_archive',
    mentions: '../outside',
  },
  {
    name: 'a hard link to /etc/passwd',
    archive: [{ path: 'h', type: 'link', linkpath: '/etc/passwd' }],
    code: 'unsafe_archive',
    mentions: '/etc/passwd',
  },
  {
    name: 'a hard link to nothing in the archive',
    archive: [{ path: 'h', type: 'link', linkpath: 'missing' }],
    code: 'unsafe_archive',
    mentions: 'missing',
  },
  {
    name: 'a file written through an outward symlink (link -> /tmp, then link/file)',
    archive: [
      { path: 'link', type: 'symlink', linkpath: '/tmp' },
      { path: 'link/file', type: 'file', body: 'pwned' },
    ],
    code: 'unsafe_archive',
    mentions: 'link',
  },
  {
    name: 'a file written through an inward symlink',
    archive: [
      { path: 'sub/', type: 'dir' },
      { path: 'link', type: 'symlink', linkpath: 'sub' },
      { path: 'link/file', type: 'file', body: 'x' },
    ],
    code: 'unsafe_archive',
    mentions: 'link/file',
  },
  {
    name: 'a symlink that escapes only through another symlink',
    archive: [
      { path: 'a/', type: 'dir' },
      { path: 'a/up', type: 'symlink', linkpath: '..' },
      { path: 'esc', type: 'symlink', linkpath: 'a/up/..' },
    ],
    code: 'unsafe_archive',
    mentions: 'esc',
  },
  {
    name: 'a symlink made dangerous by a later one',
    archive: [
      { path: 'esc', type: 'symlink', linkpath: 'b/l/..' },
      { path: 'b/l', type: 'symlink', linkpath: '..' },
    ],
    code: 'unsafe_archive',
    mentions: 'esc',
  },
  {
    name: 'a symlink loop',
    archive: [
      { path: 'l1', type: 'symlink', linkpath: 'l2' },
      { path: 'l2', type: 'symlink', linkpath: 'l1' },
    ],
    code: 'unsafe_archive',
    mentions: 'loops',
  },
  {
    name: 'a symlink replacing a file already written',
    archive: [
      { path: 'a', type: 'file', body: 'x' },
      { path: 'a', type: 'symlink', linkpath: 'b' },
    ],
    code: 'unsafe_archive',
    mentions: 'more than once',
  },
  { name: 'a fifo', archive: [{ path: 'pipe', type: 'fifo' }], code: 'unsafe_archive', mentions: 'pipe' },
  {
    name: 'a device',
    archive: [{ path: 'null', type: 'chardev' }],
    code: 'unsafe_archive',
    mentions: 'null',
  },
  {
    name: 'a file bigger than the limit (a few MB of zeros)',
    archive: [{ path: 'zeros', type: 'file', body: Buffer.alloc(4 * MB) }],
    code: 'archive_too_large',
    mentions: '4194304',
    maxBytes: MB,
  },
  {
    name: 'files adding up to more than the limit',
    archive: [1, 2, 3].map((i) => ({ path: `f${i}`, type: 'file' as const, body: Buffer.alloc(400 * 1024) })),
    code: 'archive_too_large',
    mentions: 'f3',
    maxBytes: MB,
  },
  {
    name: 'megabytes of padding after the end of the archive',
    archive: () =>
      gzipSync(Buffer.concat([makeTar([{ path: 'a', type: 'file', body: 'x' }]), Buffer.alloc(8 * MB)])),
    code: 'archive_too_large',
    mentions: 'expands',
    maxBytes: MB,
  },
  {
    name: 'garbage bytes',
    archive: () => Buffer.from('this is not an archive at all'),
    code: 'invalid_archive',
    mentions: 'gzip',
  },
  {
    name: 'a file name of 300 bytes',
    archive: [
      { path: 'ok.txt', type: 'file', body: 'x' },
      { path: `dir/${'n'.repeat(300)}.txt`, type: 'file', body: 'x' },
    ],
    code: 'invalid_archive',
    mentions: 'name of 304 bytes',
  },
  {
    name: 'a directory name of 256 bytes (multi-byte characters count as bytes)',
    archive: [{ path: `${'é'.repeat(128)}/`, type: 'dir' }],
    code: 'invalid_archive',
    mentions: 'name of 256 bytes',
  },
  {
    name: 'a path longer than PATH_MAX in parts of 100 bytes',
    archive: [{ path: `${`${'p'.repeat(100)}/`.repeat(41)}f`, type: 'file', body: 'x' }],
    code: 'invalid_archive',
    mentions: 'file systems take at most 4095',
  },
  {
    name: 'a tree 129 levels deep',
    archive: [{ path: `${'d/'.repeat(128)}f`, type: 'file', body: 'x' }],
    code: 'invalid_archive',
    mentions: 'is 129 levels deep; berth unpacks trees at most 128 deep',
  },
  {
    name: 'entries implying more than 20000 directories they do not list',
    archive: Array.from({ length: 170 }, (_, i): TarEntry => ({
      path: `d${i}/${'a/'.repeat(126)}`,
      type: 'dir',
    })),
    code: 'invalid_archive',
    mentions: 'imply more than 20000 directories',
  },
  {
    name: 'a symlink whose target is longer than PATH_MAX',
    archive: [{ path: 'l', type: 'symlink', linkpath: 'a/'.repeat(2100) }],
    code: 'invalid_archive',
    mentions: 'longer than 4095',
  },
  {
    name: 'gzip of garbage',
    archive: () => gzipSync(Buffer.from('x'.repeat(2000))),
    code: 'invalid_archive',
    mentions: 'tar',
  },
  {
    name: 'a bare tar',
    archive: () => makeTar([{ path: 'a', type: 'file', body: 'x' }]),
    code: 'invalid_archive',
    mentions: 'gzip',
  },
  {
    name: 'a truncated archive',
    archive: () =>
      gzipSync(makeTar([{ path: 'a', type: 'file', body: Buffer.alloc(64 * 1024, 1) }])).subarray(0, 100),
    code: 'invalid_archive',
    mentions: 'unpacked',
  },
  {
    name: 'an archive compressed twice',
    archive: () => gzipSync(gzipSync(makeTar([{ path: 'a', type: 'file', body: 'x' }]))),
    code: 'invalid_archive',
    mentions: 'twice',
  },
];

for (const r of refusals) {
  test(`unpack refuses ${r.name}`, async () => {
    const s = await scratch();
    try {
      const bytes = typeof r.archive === 'function' ? r.archive() : await makeTarGz(r.archive);
      await writeFile(s.archive, bytes);
      await assert.rejects(
        unpackArchive(s.archive, s.dest, { maxBytes: r.maxBytes ?? 64 * MB }),
        (err: unknown) => {
          assert.ok(isBerthError(err), `expected a BerthError, got ${String(err)}`);
          assert.equal(err.code, r.code, err.message);
          assert.ok(err.message.includes(r.mentions), `"${err.message}" should mention ${r.mentions}`);
          return true;
        },
      );
      assert.deepEqual(await readdir(s.work), [], 'the destination is removed and nothing escaped it');
    } finally {
      await rm(s.base, { recursive: true, force: true });
    }
  });
}

test('unpack writes a benign archive, safe links included', async () => {
  const s = await scratch();
  try {
    const long = `${'deep/'.repeat(25)}file.txt`;
    await writeFile(
      s.archive,
      await makeTarGz([
        { path: './', type: 'dir' },
        { path: 'app/', type: 'dir' },
        { path: 'app/server.js', type: 'file', body: 'listen()', mode: 0o4755 },
        { path: 'app/copy.js', type: 'link', linkpath: 'app/server.js' },
        { path: 'lib/v1/mod.js', type: 'file', body: 'mod', mode: 0o666 },
        { path: 'current', type: 'symlink', linkpath: 'lib/v1' },
        { path: 'lib/main', type: 'symlink', linkpath: '../app/server.js' },
        { path: 'lib/self', type: 'symlink', linkpath: '.' },
        { path: 'dangling', type: 'symlink', linkpath: 'not/there' },
        { path: 'empty.txt', type: 'file' },
        { path: long, type: 'file', body: 'long' },
      ]),
    );
    const result = await unpackArchive(s.archive, s.dest, { maxBytes: MB });
    assert.deepEqual(result, { files: 9, bytes: 'listen()'.length + 'mod'.length + 'long'.length });
    const at = (p: string) => path.join(s.dest, p);
    assert.equal(await readFile(at('current/mod.js'), 'utf8'), 'mod');
    assert.equal(await readFile(at('lib/main'), 'utf8'), 'listen()');
    assert.equal(await readFile(at('app/copy.js'), 'utf8'), 'listen()');
    assert.equal(await readlink(at('current')), 'lib/v1');
    assert.equal(await readlink(at('dangling')), 'not/there');
    assert.equal(await readFile(at(long), 'utf8'), 'long');
    assert.equal((await stat(at('empty.txt'))).size, 0);
    assert.equal((await stat(at('app/server.js'))).mode & 0o7777, 0o755, 'setuid dropped, executable kept');
    assert.equal((await stat(at('lib/v1/mod.js'))).mode & 0o7777, 0o644, 'never world-writable');
  } finally {
    await rm(s.base, { recursive: true, force: true });
  }
});

test('what pack writes, unpack restores', async () => {
  const s = await scratch();
  const src = path.join(s.base, 'src');
  try {
    await mkdir(path.join(src, 'lib/nested'), { recursive: true });
    await writeFile(path.join(src, 'index.js'), 'main');
    await writeFile(path.join(src, 'lib/nested/a.js'), 'a');
    await symlink('lib/nested', path.join(src, 'shortcut'));
    await mkdir(path.join(src, 'empty'));
    const packed = await packDirectory(src);
    const result = await unpackArchive(packed.path, s.dest, { maxBytes: MB });
    await rm(packed.path, { force: true });
    assert.deepEqual(result, { files: 3, bytes: 5 });
    assert.equal(await readFile(path.join(s.dest, 'shortcut/a.js'), 'utf8'), 'a');
    assert.deepEqual((await readdir(s.dest)).sort(), ['empty', 'index.js', 'lib', 'shortcut']);
  } finally {
    await rm(s.base, { recursive: true, force: true });
  }
});

test('an empty archive unpacks to an empty directory', async () => {
  const s = await scratch();
  try {
    await writeFile(s.archive, await makeTarGz([]));
    assert.deepEqual(await unpackArchive(s.archive, s.dest, { maxBytes: MB }), { files: 0, bytes: 0 });
    assert.deepEqual(await readdir(s.dest), []);
  } finally {
    await rm(s.base, { recursive: true, force: true });
  }
});

test('unpack will not write into a directory that has something in it, nor delete it', async () => {
  const s = await scratch();
  try {
    await mkdir(s.dest);
    await writeFile(path.join(s.dest, 'precious'), 'keep me');
    await writeFile(s.archive, await makeTarGz([{ path: 'a', type: 'file', body: 'x' }]));
    await assert.rejects(unpackArchive(s.archive, s.dest, { maxBytes: MB }), /not empty/);
    assert.ok(existsSync(path.join(s.dest, 'precious')));
  } finally {
    await rm(s.base, { recursive: true, force: true });
  }
});

test('a large archive within the limit streams through', async () => {
  const s = await scratch();
  try {
    const entries: TarEntry[] = [];
    for (let i = 0; i < 200; i++)
      entries.push({ path: `d${i % 7}/f${i}`, type: 'file', body: Buffer.alloc(20 * 1024, i) });
    // Written in parallel: a hard link must still wait for its target to be complete.
    entries.push({ path: 'latest', type: 'link', linkpath: 'd3/f199' });
    await writeFile(s.archive, await makeTarGz(entries));
    const result = await unpackArchive(s.archive, s.dest, { maxBytes: 200 * 20 * 1024 });
    assert.deepEqual(result, { files: 201, bytes: 200 * 20 * 1024 });
    assert.deepEqual(await readFile(path.join(s.dest, 'd3/f199')), Buffer.alloc(20 * 1024, 199));
    assert.deepEqual(await readFile(path.join(s.dest, 'latest')), Buffer.alloc(20 * 1024, 199));
  } finally {
    await rm(s.base, { recursive: true, force: true });
  }
});

// Following links walks a tree of the archive's links part by part; joining every prefix, as
// before, took 22 s (a 12 s stall of the event loop) on this archive.
test(
  'symlinks with deep targets are judged in time linear in their length',
  { timeout: 15_000 },
  async () => {
    const s = await scratch();
    try {
      const target = `${'a/'.repeat(1990)}a`;
      const entries: TarEntry[] = Array.from({ length: 300 }, (_, i) => ({
        path: `l${i}`,
        type: 'symlink',
        linkpath: target,
      }));
      await writeFile(s.archive, await makeTarGz(entries));
      const result = await unpackArchive(s.archive, s.dest, { maxBytes: MB });
      assert.equal(result.files, 300);
      assert.equal(await readlink(path.join(s.dest, 'l299')), target);
    } finally {
      await rm(s.base, { recursive: true, force: true });
    }
  },
);
