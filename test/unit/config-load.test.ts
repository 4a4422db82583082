import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { findConfigFile, formatDiagnostics, loadConfigFile, loadConfigText } from '../../src/config/load.js';
import { locatorFor } from '../../src/core/config/locate.js';
import { isBerthError } from '../../src/core/errors.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('findConfigFile prefers berth.toml, then fly.toml', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'fly.toml'), 'app = "a"');
  assert.equal(findConfigFile(dir), join(dir, 'fly.toml'));
  writeFileSync(join(dir, 'berth.toml'), 'app = "a"');
  assert.equal(findConfigFile(dir), join(dir, 'berth.toml'));
});

test('findConfigFile takes -c relative to the working directory', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'staging.toml'), '');
  assert.equal(
    findConfigFile('/nonexistent', relative(process.cwd(), join(dir, 'conf', 'staging.toml'))),
    join(dir, 'conf', 'staging.toml'),
  );
});

test('findConfigFile names the directory when there is no config', (t) => {
  const dir = tempDir(t);
  assert.throws(
    () => findConfigFile(dir),
    (err) => isBerthError(err) && err.code === 'config_not_found' && err.message.includes(dir),
  );
  assert.throws(
    () => findConfigFile(dir, 'missing.toml'),
    (err) => isBerthError(err) && err.code === 'config_not_found' && err.message.includes('missing.toml'),
  );
});

test('loadConfigFile reads a file and reports a missing one as config_not_found', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.toml'), '[http_service]\ninternal_port = 3000\n');
  const loaded = loadConfigFile(join(dir, 'berth.toml'));
  assert.equal(loaded.config?.httpService?.internalPort, 3000);
  assert.equal(loaded.file, join(dir, 'berth.toml'));
  assert.throws(
    () => loadConfigFile(join(dir, 'nope.toml')),
    (err) => isBerthError(err) && err.code === 'config_not_found',
  );
});

test('formatDiagnostics: one line per problem, errors first, each with its hint', () => {
  const loaded = loadConfigText('colour = "blue"\n[http_service]\ninternal_port = "abc"\n', 'berth.toml');
  assert.equal(
    formatDiagnostics(loaded),
    [
      'berth.toml:3: error: http_service.internal_port: must be a port number between 1 and 65535 (got "abc")',
      '  hint: Write the port the app listens on, e.g. 8080.',
      'berth.toml:1: warning: colour: unknown key or section; berth ignores it',
      '  hint: Check the spelling, or remove it.',
    ].join('\n'),
  );
});

test('formatDiagnostics: a syntax error has no key path and no stack trace', () => {
  const text = formatDiagnostics(loadConfigText('app = "x"\napp = "y"\n', 'fly.toml'));
  assert.match(
    text,
    /^fly\.toml:2: error: invalid TOML: app is defined twice in the same table \(column 1\)\n {2}hint: /,
  );
  assert.doesNotMatch(text, /at .*\.js/);
});

const LOCATE_TEXT = [
  'app = "x"', // 1
  'http_service.internal_port = 8080', // 2
  '', // 3
  '[env]', // 4
  '  A = "1" # [not a header]', // 5
  `  "B C" = '2'`, // 6
  '  D = """', // 7
  '[[services]]', // 8: inside the string, not a header
  '"""', // 9
  '[[services]]', // 10
  '  internal_port = 1', // 11
  '  E = [', // 12
  '    "x = 1",', // 13: inside the array, not a key
  '  ]', // 14
  '[[services.ports]]', // 15
  '  port = 80', // 16
  '[[services.ports]]', // 17
  '  port = 443', // 18
  '[[services]]', // 19
  '  internal_port = 2', // 20
  '[[services.ports]]', // 21
  '  port = 90', // 22
  '[services.concurrency]', // 23
  '  type = "requests"', // 24
  '[checks.pg]', // 25
  'z = 1', // 26
  '[after]', // 27
  'key = 1', // 28
].join('\n');

const locations: [string[], number | undefined][] = [
  [['app'], 1],
  [['http_service', 'internal_port'], 2],
  [['env', 'A'], 5],
  [['env', 'B C'], 6],
  [['services', '0'], 10],
  [['services', '0', 'internal_port'], 11],
  [['services', '0', 'E'], 12],
  [['services', '0', 'x = 1'], 10], // not a key: falls back to its table
  [['services', '0', 'ports', '1', 'port'], 18],
  [['services', '1', 'internal_port'], 20],
  [['services', '1', 'ports', '0'], 21],
  [['services', '1', 'ports', '0', 'missing'], 21],
  [['services', '1', 'concurrency', 'type'], 24],
  [['checks'], 25],
  [['checks', 'pg', 'path'], 25],
  [['after', 'key'], 28],
  [['nowhere'], undefined],
];

test('locatorFor finds headers, dotted, quoted and nested keys, and skips multi-line values', () => {
  const locate = locatorFor(LOCATE_TEXT);
  for (const [path, line] of locations) {
    assert.equal(locate(path)?.line, line, path.join('.'));
  }
  assert.deepEqual(locate(['env', 'A']), { line: 5, column: 3 });
});

test('a key deeper than 32 parts is one error on its line, before the TOML parser runs', () => {
  const loaded = loadConfigText(`app = "x"\n\n${'a.'.repeat(32)}a = 1\n`, 'berth.toml');
  assert.equal(loaded.config, undefined);
  assert.deepEqual(
    loaded.diagnostics.map((d) => [d.line, d.message]),
    [[3, 'the key on this line has 33 dotted parts; berth reads keys of at most 32']],
  );
  assert.ok(loadConfigText(`${'a.'.repeat(31)}a = 1\n`, 'berth.toml').config, '32 parts load');
});

test('past 200 problems the rest are counted, not listed', () => {
  const text = Array.from({ length: 300 }, (_, i) => `unknown_${i} = 1`).join('\n');
  const loaded = loadConfigText(text, 'berth.toml');
  assert.ok(loaded.config, 'warnings only: the config loads');
  assert.equal(loaded.diagnostics.length, 201);
  assert.equal(loaded.diagnostics[200]?.message, 'and 100 warning(s) more, not listed');
  const errors = loadConfigText(`${text}\n[checks.a]\nport = 1\ninterval = "99h"`, 'berth.toml');
  assert.equal(errors.config, undefined, 'an error past the cap still fails the file');
  assert.equal(errors.diagnostics.at(-1)?.severity, 'error');
});
