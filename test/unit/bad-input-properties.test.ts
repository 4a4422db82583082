// Property tests of the three parsers of outside input: the config loader, the router's path
// decoding and the archive unpacker. Each runs a fixed seed, so a failure repeats; fast-check
// prints the smallest input that fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { Router, route, type Route } from '../../src/api/router.js';
import { unpackArchive } from '../../src/artifacts/unpack.js';
import { loadConfigText, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { indexKeys } from '../../src/core/config/locate.js';
import { isBerthError } from '../../src/core/errors.js';
import { makeTarGz, type TarEntry } from '../helpers/archives.js';

const SEED = 20_261_201;

/** The loader's contract: never throws, every problem is a diagnostic with a message and hint. */
function assertLoads(text: string): void {
  const loaded = loadConfigText(text, 'berth.toml');
  for (const d of loaded.diagnostics) {
    assert.ok(d.message && d.hint, `diagnostic without message or hint: ${JSON.stringify(d)}`);
  }
  if (!loaded.config) assert.ok(loaded.diagnostics.some((d) => d.severity === 'error'));
}

// Fragments that make TOML-like text: headers, dotted and quoted keys, strings of every kind,
// brackets left open, the keys berth reads, and values of the wrong type for them.
const TOML_TOKENS = [
  '[',
  ']',
  '[[',
  ']]',
  '{',
  '}',
  '.',
  '=',
  ',',
  '"',
  "'",
  '"""',
  "'''",
  '\n',
  '\r\n',
  ' ',
  '#',
  '\\',
  'a',
  'app',
  'services',
  'http_service',
  'checks',
  'ports',
  'deploy',
  'env',
  'processes',
  'mounts',
  'schedules',
  'interval',
  'timeout',
  'grace_period',
  'wait_timeout',
  'kill_timeout',
  'idle_timeout',
  'internal_port',
  'port',
  '1',
  '-1',
  '0',
  '1e400',
  '3.5',
  '"5s"',
  '"0.0001s"',
  '"9999999h"',
  '2147483648',
  'true',
  '"x"',
  '1979-05-27',
  '[]',
  '{}',
  'inf',
  'nan',
];
const tomlish = fc
  .array(fc.oneof(fc.constantFrom(...TOML_TOKENS), fc.string({ maxLength: 4 })), { maxLength: 80 })
  .map((parts) => parts.join(''));

// Parsed-TOML-shaped values placed under the keys berth reads, written out by a real TOML writer.
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constantFrom('5s', '1m30s', '0.0001s', '25h', 'stop', 'suspend', 'rolling', 'SIGTERM', '/x'),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('list'), tie('table')),
  list: fc.array(tie('node'), { maxLength: 3 }),
  table: fc.dictionary(
    fc.oneof(
      fc.constantFrom('port', 'interval', 'timeout', 'checks', 'ports', 'processes', 'handlers'),
      fc.string({ maxLength: 6 }),
    ),
    tie('node'),
    { maxKeys: 4 },
  ),
})).node;
const configTree = fc.dictionary(
  fc.constantFrom(
    'app',
    'kill_timeout',
    'kill_signal',
    'build',
    'deploy',
    'env',
    'processes',
    'http_service',
    'services',
    'checks',
    'mounts',
    'mount',
    'schedules',
    'experimental',
  ),
  value,
  { maxKeys: 6 },
);

test('config loader: random TOML-like text never throws and always ends with diagnostics', () => {
  fc.assert(
    fc.property(fc.oneof(tomlish, fc.string({ maxLength: 200 })), (text) => assertLoads(text)),
    { seed: SEED, numRuns: 1200 },
  );
});

test('config loader: random trees under the keys berth reads never throw', () => {
  fc.assert(
    fc.property(configTree, (tree) => {
      let text: string;
      try {
        text = stringify(tree);
      } catch {
        return; // a tree TOML cannot write (an array of mixed tables, say)
      }
      assertLoads(text);
    }),
    { seed: SEED, numRuns: 600 },
  );
});

/** Text just under the size the loader accepts, made of `unit` after `head`. */
function fill(head: string, unit: string, tail = ''): string {
  const room = MAX_CONFIG_BYTES - 64 - head.length - tail.length;
  return head + unit.repeat(Math.floor(room / unit.length)) + tail;
}

const numbered = (head: string, line: (i: number) => string, count: number) =>
  head + Array.from({ length: count }, (_, i) => line(i)).join('\n');

const HOSTILE: Record<string, string> = {
  'a dotted key of thousands of parts': fill('a', '.a', ' = 1\n'),
  'a header of thousands of parts': fill('[a', '.a', ']\n'),
  'a dotted key inside an inline table': fill('x = {a', '.a', ' = 1}\n'),
  'nested arrays': `x = ${'['.repeat(30_000)}${']'.repeat(30_000)}`,
  'nested arrays over many lines': `x = ${'[\n'.repeat(15_000)}${']\n'.repeat(15_000)}`,
  'nested inline tables': `x = ${'{a='.repeat(10_000)}1${'}'.repeat(10_000)}`,
  '10k unknown keys': numbered('', (i) => `${i.toString(36)}=1`, 10_000),
  '8k env keys': numbered('[env]\n', (i) => `K${i.toString(36)}=1`, 8_000),
  'a long string': fill('app = "', 'x', '"\n'),
  'a long multi-line string left open': fill('[env]\nA = """\n', 'x\n'),
  'hundreds of [[services]]': fill('', '[[services]]\ninternal_port = 1\n[[services.ports]]\nport = 80\n'),
  'hundreds of checks out of range': numbered('', (i) => `[checks.c${i}]\nport = 1\ninterval = "99h"`, 1_500),
};

for (const [name, text] of Object.entries(HOSTILE)) {
  test(`config loader: ${name} (${text.length} bytes) loads in bounded time and memory`, () => {
    assert.ok(text.length <= MAX_CONFIG_BYTES, 'within the size cap, so the text is parsed');
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    assertLoads(text);
    const ms = performance.now() - start;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    // Generous bounds on a shared machine (a load takes milliseconds): the quadratic key index
    // this replaces took 14 s and grew the heap by 700 MB on a 50 KB dotted key.
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    assert.ok(heapMb < 128, `heap grew by ${heapMb.toFixed(0)} MB`);
  });
}

// Past the size cap, so only the index runs. A quadratic index would not finish within the
// test's timeout (a 1,000,000-part key is 10^12 steps); a linear one takes about a second.
test('the key index is linear: 2 MB texts, past the size cap, are indexed', { timeout: 60_000 }, () => {
  const deep = indexKeys(`a${'.a'.repeat(1_000_000)} = 1\n`);
  assert.deepEqual(deep.tooDeep, { parts: 1_000_001, line: 1, column: 1 });
  const wide = numbered('', (i) => `[t${i}]\n${'a.'.repeat(31)}a = 1`, 30_000);
  assert.ok(wide.length > 2_000_000);
  const locate = indexKeys(wide).locate;
  assert.equal(locate(['t29999', ...Array<string>(32).fill('a')])?.line, 60_000);
});

test('config loader: a file over the size cap is one diagnostic, not parsed', () => {
  const loaded = loadConfigText(
    `app = "x"\n${'# comment\n'.repeat(MAX_CONFIG_BYTES / 10 + 1)}`,
    'berth.toml',
  );
  assert.equal(loaded.config, undefined);
  assert.equal(loaded.diagnostics.length, 1);
  assert.match(loaded.diagnostics[0]!.message, /more than berth reads \(65536 bytes\)/);
});

const noop = () => undefined;
const router = new Router(
  (
    [
      ['GET', '/v1/health'],
      ['GET', '/v1/apps'],
      ['POST', '/v1/apps'],
      ['GET', '/v1/apps/{app}'],
      ['DELETE', '/v1/apps/{app}'],
      ['GET', '/v1/apps/{app}/releases/{version}'],
      ['PUT', '/v1/artifacts/{digest}'],
    ] as const
  ).map(([method, p]): Route =>
    route({ method, path: p, summary: '', tag: 't', access: 'read', handler: noop }),
  ),
);

const segment = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%Z',
        '%ZZ',
        '%2',
        '%25',
        '%2F',
        '%00',
        '%C0%AF',
        '%E0%A4%A',
        '%F0%9F%98',
        '%FF',
        '..',
        '.',
      ),
      fc.string({ unit: 'binary', maxLength: 3 }).map((s) => encodeURIComponent(s)),
      fc.string({ maxLength: 3 }).filter((s) => !s.includes('/')),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

test('router: any path and method gets a route or a coded 4xx, never an exception', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'BREW'),
      fc.constantFrom('/v1/apps/', '/v1/apps/x/releases/', '/v1/artifacts/', '/v1/', '/'),
      segment,
      fc.constantFrom('', '/', '/releases/v1', '/x'),
      (method, prefix, seg, suffix) => {
        try {
          const found = router.match(method, prefix + seg + suffix);
          for (const v of Object.values(found.params)) assert.equal(typeof v, 'string');
        } catch (err) {
          assert.ok(isBerthError(err), `${method} ${prefix + seg + suffix}: ${String(err)}`);
          assert.ok(err.status >= 400 && err.status < 500, err.message);
          if (err.code === 'method_not_allowed') {
            assert.ok((err.details as { allow: string[] }).allow.length > 0);
          }
        }
      },
    ),
    { seed: SEED, numRuns: 2000 },
  );
});

// Names from parts that matter to an unpacker: climbs, dots, empty parts, long and multi-byte
// names, a backslash, and a few plain names so that entries collide with each other.
const part = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c') },
  { weight: 3, arbitrary: fc.constantFrom('..', '.', '', 'é', 'a\\b', 'x'.repeat(256), 'y'.repeat(255)) },
);
const entryPath = fc
  .tuple(fc.constantFrom('', '/', './', 'C:/'), fc.array(part, { minLength: 1, maxLength: 5 }))
  .map(([lead, parts]) => lead + parts.join('/'));
const tarEntry: fc.Arbitrary<TarEntry> = fc.record({
  path: entryPath,
  type: fc.constantFrom('file', 'file', 'dir', 'symlink', 'link', 'fifo', 'chardev'),
  body: fc.constantFrom('', 'x', 'hello\n'),
  linkpath: fc.oneof(entryPath, fc.constantFrom('../../etc', '/etc/passwd', 'a', 'a/b', '.')),
  mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o777),
});

/** Every entry under `dir`, and whether each symlink among them resolves inside `root`. */
async function walk(dir: string, root: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name);
    const info = await lstat(full);
    if (info.isSymbolicLink()) {
      const target = await realpath(full).catch(() => undefined); // a dangling link is fine
      if (target) assert.ok(target === root || target.startsWith(root + path.sep), `${full} -> ${target}`);
    } else if (info.isDirectory()) {
      await walk(full, root);
    }
  }
}

test('unpacker: random tar entries never give a 5xx or uncoded error, never write outside', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'berth-unpack-fuzz-'));
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(tarEntry, { minLength: 1, maxLength: 6 }), async (entries) => {
        const work = path.join(base, String(run++));
        await mkdir(work);
        const archive = path.join(base, `${run}.tar.gz`);
        await writeFile(archive, await makeTarGz(entries));
        const dest = path.join(work, 'dest');
        try {
          await unpackArchive(archive, dest, { maxBytes: 1024 * 1024 });
          await walk(dest, await realpath(dest));
        } catch (err) {
          assert.ok(isBerthError(err), `not a coded error: ${String(err)}`);
          assert.ok(err.status >= 400 && err.status < 500, `${err.code}: ${err.message}`);
          assert.deepEqual(await readdir(work), [], 'a refused archive leaves nothing behind');
        }
        const left = await readdir(work);
        assert.ok(left.length === 0 || (left.length === 1 && left[0] === 'dest'), `wrote ${left.join(', ')}`);
        assert.deepEqual(
          (await readdir(base)).filter((n) => !/^\d+(\.tar\.gz)?$/.test(n)),
          [],
        );
        await rm(work, { recursive: true, force: true });
        await rm(archive, { force: true });
      }),
      { seed: SEED, numRuns: 250 },
    );
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
