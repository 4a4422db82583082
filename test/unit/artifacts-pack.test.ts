import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { selectFiles } from '../../src/artifacts/ignore-rules.js';
import { packDirectory } from '../../src/artifacts/pack.js';

/** A path ending in "/" is a directory; `{ symlink }` is a link; anything else a file. */
type Tree = Record<string, string | { symlink: string }>;

async function makeTree(files: Tree, order: 'forward' | 'reverse' = 'forward'): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'berth-pack-test-'));
  const names = Object.keys(files);
  if (order === 'reverse') names.reverse();
  for (const name of names) {
    const spec = files[name]!;
    const target = path.join(root, name);
    if (name.endsWith('/')) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof spec === 'string') await writeFile(target, spec);
    else await symlink(spec.symlink, target);
  }
  return root;
}

async function selected(files: Tree): Promise<string[]> {
  const root = await makeTree(files);
  try {
    return (await selectFiles(root)).entries.map((e) => e.path);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const ignoreCases: Array<{ name: string; tree: Tree; include: string[]; exclude: string[] }> = [
  {
    name: 'no ignore file: everything but .git',
    tree: { 'a.js': '', 'sub/b.js': '', '.git/HEAD': 'ref', 'sub/.git': 'gitdir: x' },
    include: ['a.js', 'sub', 'sub/b.js'],
    exclude: ['.git', '.git/HEAD', 'sub/.git'],
  },
  {
    name: '.gitignore: directories and globs at any depth',
    tree: {
      '.gitignore': 'node_modules/\n*.log\n',
      'node_modules/x/index.js': '',
      'x.log': '',
      'sub/y.log': '',
      'src/app.js': '',
    },
    include: ['.gitignore', 'src', 'src/app.js', 'sub'],
    exclude: ['node_modules', 'node_modules/x/index.js', 'x.log', 'sub/y.log'],
  },
  {
    name: '.gitignore: a trailing slash matches directories only',
    tree: { '.gitignore': 'build/\n', build: 'a file named build', 'lib/build/out.js': '' },
    include: ['build', 'lib'],
    exclude: ['lib/build', 'lib/build/out.js'],
  },
  {
    name: '.gitignore: negation and anchoring',
    tree: {
      '.gitignore': '*.log\n!keep.log\n/dist\n',
      'a.log': '',
      'keep.log': '',
      'dist/x': '',
      'sub/dist/y': '',
    },
    include: ['keep.log', 'sub/dist', 'sub/dist/y'],
    exclude: ['a.log', 'dist', 'dist/x'],
  },
  {
    name: '.gitignore: nothing inside an ignored directory comes back',
    tree: { '.gitignore': 'logs/\n!logs/keep\n', 'logs/keep': '', 'logs/other': '' },
    include: ['.gitignore'],
    exclude: ['logs', 'logs/keep', 'logs/other'],
  },
  {
    name: 'nested .gitignore applies to its directory, and overrides the root one',
    tree: {
      '.gitignore': '*.txt\n',
      'a.txt': '',
      'secret.key': '',
      'sub/.gitignore': 'secret.key\n!notes.txt\n',
      'sub/secret.key': '',
      'sub/notes.txt': '',
      'sub/other.txt': '',
    },
    include: ['secret.key', 'sub/.gitignore', 'sub/notes.txt'],
    exclude: ['a.txt', 'sub/secret.key', 'sub/other.txt'],
  },
  {
    name: '.dockerignore wins over .gitignore',
    tree: { '.gitignore': 'docs/\n', '.dockerignore': 'tmp\n', 'docs/a.md': '', 'tmp/x': '' },
    include: ['docs', 'docs/a.md', '.gitignore', '.dockerignore'],
    exclude: ['tmp', 'tmp/x'],
  },
  {
    name: '.dockerignore: patterns are relative to the root',
    tree: {
      '.dockerignore': '*.md\nnode_modules\n',
      'README.md': '',
      'docs/guide.md': '',
      'node_modules/a': '',
      'pkg/node_modules/b': '',
    },
    include: ['docs/guide.md', 'pkg/node_modules/b'],
    exclude: ['README.md', 'node_modules', 'node_modules/a'],
  },
  {
    name: '.dockerignore: ** reaches every depth',
    tree: {
      '.dockerignore': '**/*.md\n**/node_modules\n',
      'README.md': '',
      'docs/guide.md': '',
      'pkg/node_modules/b': '',
      'pkg/i.js': '',
    },
    include: ['pkg', 'pkg/i.js'],
    exclude: ['README.md', 'docs/guide.md', 'pkg/node_modules'],
  },
  {
    name: '.dockerignore: ! re-includes a file inside an excluded directory',
    tree: {
      '.dockerignore': 'dist\n!dist/keep.js\n',
      'dist/keep.js': '',
      'dist/other.js': '',
      'dist/deep/x.js': '',
    },
    include: ['dist', 'dist/keep.js'],
    exclude: ['dist/other.js', 'dist/deep', 'dist/deep/x.js'],
  },
  {
    name: '.dockerignore: the last matching line wins',
    tree: { '.dockerignore': '*\n!src\nsrc/*.tmp\n', 'src/a.js': '', 'src/b.tmp': '', 'other.js': '' },
    include: ['src', 'src/a.js'],
    exclude: ['src/b.tmp', 'other.js'],
  },
  {
    name: '.dockerignore: comments, "./" and trailing slashes',
    tree: {
      '.dockerignore': '# build output\n./tmp/\n  /cache  \n',
      'tmp/x': '',
      'cache/y': '',
      'app.js': '',
    },
    include: ['app.js'],
    exclude: ['tmp', 'tmp/x', 'cache', 'cache/y'],
  },
  {
    name: '.dockerignore: the Dockerfile and .dockerignore are packed even when excluded',
    tree: { '.dockerignore': '*\n', Dockerfile: 'FROM scratch', 'app.js': '' },
    include: ['Dockerfile', '.dockerignore'],
    exclude: ['app.js'],
  },
  {
    name: '.dockerignore: .git stays out even when re-included',
    tree: { '.dockerignore': '!.git\n', '.git/HEAD': '', 'a.js': '' },
    include: ['a.js'],
    exclude: ['.git', '.git/HEAD'],
  },
];

for (const c of ignoreCases) {
  test(`ignore rules: ${c.name}`, async () => {
    const paths = await selected(c.tree);
    for (const p of c.include) assert.ok(paths.includes(p), `${p} should be packed; got ${paths.join(', ')}`);
    for (const p of c.exclude)
      assert.ok(!paths.includes(p), `${p} should be left out; got ${paths.join(', ')}`);
  });
}

test('selectFiles says which ignore file it followed', async () => {
  for (const [tree, source] of [
    [{ 'a.js': '' }, 'none'],
    [{ '.gitignore': 'x\n' }, '.gitignore'],
    [{ '.gitignore': 'x\n', '.dockerignore': 'y\n' }, '.dockerignore'],
  ] as const) {
    const root = await makeTree(tree);
    assert.equal((await selectFiles(root)).source, source);
    await rm(root, { recursive: true, force: true });
  }
});

test('selectFiles lists a directory before its contents, in name order', async () => {
  const paths = await selected({ 'b/z': '', 'b/a': '', a: '', 'c/': '' });
  assert.deepEqual(paths, ['a', 'b', 'b/a', 'b/z', 'c']);
});

const sampleTree: Tree = {
  'package.json': '{"name":"demo"}',
  'src/index.js': 'console.log("hi")',
  'src/lib/util.js': 'export {}',
  'empty/': '',
  current: { symlink: 'src/lib' },
  '.git/HEAD': 'ref: refs/heads/main',
  '.gitignore': 'node_modules/\n',
  'node_modules/dep/index.js': 'x',
};

async function packTree(tree: Tree, order: 'forward' | 'reverse' = 'forward') {
  const root = await makeTree(tree, order);
  try {
    return { root, packed: await packDirectory(root) };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function cleanup(...items: Array<{ root: string; packed: { path: string } }>) {
  for (const { root, packed } of items) {
    await rm(root, { recursive: true, force: true });
    await rm(packed.path, { force: true });
  }
}

test('packing the same tree twice gives the same digest', async () => {
  const a = await packTree(sampleTree);
  const b = await packDirectory(a.root);
  try {
    assert.match(a.packed.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(b.digest, a.packed.digest);
    assert.equal(b.size, a.packed.size);
    assert.deepEqual(await readFile(b.path), await readFile(a.packed.path));
  } finally {
    await rm(b.path, { force: true });
    await cleanup(a);
  }
});

test('the digest ignores creation order and timestamps', async () => {
  const a = await packTree(sampleTree, 'forward');
  const b = await packTree(sampleTree, 'reverse');
  try {
    await utimes(path.join(b.root, 'src/index.js'), new Date('2011-11-11'), new Date('2011-11-11'));
    const again = await packDirectory(b.root);
    await rm(again.path, { force: true });
    assert.equal(b.packed.digest, a.packed.digest);
    assert.equal(again.digest, a.packed.digest);
  } finally {
    await cleanup(a, b);
  }
});

test('the digest changes with contents and with the executable bit', async () => {
  const a = await packTree(sampleTree);
  try {
    await writeFile(path.join(a.root, 'src/index.js'), 'console.log("bye")');
    const edited = await packDirectory(a.root);
    await chmod(path.join(a.root, 'src/index.js'), 0o755);
    const executable = await packDirectory(a.root);
    await rm(edited.path, { force: true });
    await rm(executable.path, { force: true });
    assert.notEqual(edited.digest, a.packed.digest);
    assert.notEqual(executable.digest, edited.digest);
  } finally {
    await cleanup(a);
  }
});

test('the archive is portable: sorted entries, fixed owner and time, symlinks kept, .git left out', async () => {
  const a = await packTree(sampleTree);
  try {
    const seen: Array<{
      path: string;
      type: string;
      uid?: number;
      gid?: number;
      mtime?: Date;
      linkpath?: string;
      mode?: number;
    }> = [];
    await tar.t({
      file: a.packed.path,
      onReadEntry: (e) => void seen.push({ ...e.header, path: e.path, type: e.type }),
    });
    assert.deepEqual(
      seen.map((e) => e.path),
      [
        '.gitignore',
        'current',
        'empty/',
        'package.json',
        'src/',
        'src/index.js',
        'src/lib/',
        'src/lib/util.js',
      ],
    );
    for (const e of seen) {
      assert.equal(e.uid, 0, e.path);
      assert.equal(e.gid, 0, e.path);
      assert.equal(e.mtime?.toISOString(), '2000-01-01T00:00:00.000Z', e.path);
    }
    const link = seen.find((e) => e.path === 'current')!;
    assert.equal(link.type, 'SymbolicLink');
    assert.equal(link.linkpath, 'src/lib');
    assert.equal(seen.find((e) => e.path === 'src/')!.mode, 0o755);
    assert.equal(seen.find((e) => e.path === 'package.json')!.mode, 0o644);
    assert.equal(a.packed.files, 5); // four files and one symlink
    assert.equal(a.packed.ignoreFile, '.gitignore');
    const bytes = await readFile(a.packed.path);
    assert.equal(bytes.length, a.packed.size);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
    assert.equal(bytes[9], 3, 'gzip OS byte is pinned to Unix');
  } finally {
    await cleanup(a);
  }
});

test('long and non-ASCII names survive packing', async () => {
  const long = `${'deep/'.repeat(30)}${'n'.repeat(120)}.js`;
  const a = await packTree({ [long]: 'x', 'café/ünïcode.txt': 'y' });
  try {
    const paths: string[] = [];
    await tar.t({ file: a.packed.path, onReadEntry: (e) => void paths.push(e.path) });
    assert.ok(paths.includes(long));
    assert.ok(paths.includes('café/ünïcode.txt'));
  } finally {
    await cleanup(a);
  }
});

test('an empty directory packs to an empty archive', async () => {
  const a = await packTree({});
  try {
    assert.equal(a.packed.files, 0);
    const paths: string[] = [];
    await tar.t({ file: a.packed.path, onReadEntry: (e) => void paths.push(e.path) });
    assert.deepEqual(paths, []);
  } finally {
    await cleanup(a);
  }
});
