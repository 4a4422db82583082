// Bad input gets a clear 4xx error naming the problem and the fix, never a stack trace,
// and never changes what is live.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTarGz } from '../helpers/archives.js';
import { EXAMPLES, TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await TestDaemon.start();
  work = mkdtempSync(join(tmpdir(), 'berth-errors-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

function appDir(name: string, toml: string): string {
  const dir = join(work, name);
  cpSync(join(EXAMPLES, 'hello'), dir, { recursive: true });
  writeFileSync(join(dir, 'berth.toml'), toml);
  return dir;
}

test('a malformed berth.toml: file, line and fix, exit 2, nothing sent to the daemon', async () => {
  const dir = appDir(
    'broken',
    'app = "broken"\n\n[http_service]\ninternal_port = 3000\ninternal_port = 3001\n',
  );
  const result = await daemon.cli(['deploy', dir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /berth\.toml:5/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
  const apps = await daemon.cliJson<unknown[]>(['apps', 'list']);
  assert.deepEqual(apps, []);
});

test('deploy of a directory that does not exist says so, exit 2, nothing sent to the daemon', async () => {
  const result = await daemon.cli(['deploy', './missing'], { cwd: work });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /error: directory \.\/missing \(.*\/missing\) does not exist/);
  assert.match(result.stderr, /hint: Pass the directory of the app to deploy/);
  const notDir = await daemon.cli(['config', 'validate', join(EXAMPLES, 'hello', 'server.js')]);
  assert.equal(notDir.code, 2);
  assert.match(notDir.stderr, /server\.js is not a directory/);
  assert.deepEqual(await daemon.cliJson<unknown[]>(['apps', 'list']), []);
});

test('commands name the app of ./berth.toml by its app key; a placeholder names none', async () => {
  // The rest of the file may be wrong: only `app` is read to know which app is meant.
  const named = appDir('named', 'app = "elsewhere"\nkill_signal = "SIGNOPE"\n');
  const status = await daemon.cli(['status'], { cwd: named });
  assert.equal(status.code, 2, status.stderr);
  assert.match(status.stderr, /app "elsewhere" does not exist/);
  const placeholder = appDir('placeholder', 'app = "{{APP_NAME}}"\n');
  const none = await daemon.cli(['status'], { cwd: placeholder });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /which app\? none was named/);
});

test('misspelt config keys are warned about with the key they were meant to be', async () => {
  const dir = appDir(
    'typos',
    'app = "typos"\nkill_timout = "5s"\n\n[http_service]\ninternal_port = 3000\nforce_htps = false\n',
  );
  const result = await daemon.cli(['config', 'validate', dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /kill_timout: unknown key or section[^\n]*\n\s*hint: Did you mean "kill_timeout"\?/,
  );
  assert.match(
    result.stderr,
    /http_service\.force_htps: unknown key[^\n]*\n\s*hint: Did you mean "force_https"\?/,
  );
});

test('invalid values are all reported at once with their key paths', async () => {
  const dir = appDir(
    'invalid',
    'app = "invalid"\nkill_signal = "SIGNOPE"\n\n[http_service]\ninternal_port = 99999\n',
  );
  const result = await daemon.cli(['config', 'validate', dir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /kill_signal/);
  assert.match(result.stderr, /http_service\.internal_port/);
  const json = await daemon.cli(['config', 'validate', dir, '--json']);
  const parsed = JSON.parse(json.stdout) as {
    valid: boolean;
    diagnostics: Array<{ severity: string; line?: number }>;
  };
  assert.equal(parsed.valid, false);
  assert.ok(parsed.diagnostics.filter((d) => d.severity === 'error').length >= 2);
});

test('config validate needs no daemon and prints the normalized config', async () => {
  const result = await daemon.cli(['config', 'validate', join(EXAMPLES, 'hello'), '--json'], {
    env: { BERTH_API_URL: 'http://127.0.0.1:1' },
  });
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout) as {
    valid: boolean;
    config: { httpService: { internalPort: number } };
  };
  assert.equal(parsed.valid, true);
  assert.equal(parsed.config.httpService.internalPort, 3000);
});

test('the API refuses requests without a valid token: 401 with code and hint', async () => {
  for (const token of [null, 'berth_wrong']) {
    const res = await daemon.api('GET', '/v1/apps', { token });
    assert.equal(res.status, 401);
    const body = JSON.parse(res.body) as { error: { code: string; message: string; hint: string } };
    assert.equal(body.error.code, 'unauthorized');
    assert.match(body.error.hint, /Authorization: Bearer/);
  }
  const cli = await daemon.cli(['apps', 'list'], { env: { BERTH_TOKEN: 'berth_wrong' } });
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /error: the API token is not valid/);
});

test('health and the OpenAPI document are public; the document lists the API', async () => {
  assert.equal((await daemon.api('GET', '/v1/health', { token: null })).status, 200);
  const doc = JSON.parse((await daemon.api('GET', '/v1/openapi.json', { token: null })).body) as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/v1/apps/{app}/deploys']?.post?.requestBody);
  assert.ok(doc.paths['/v1/apps/{app}/releases']?.get);
});

test('invalid API payloads get 400 naming the field; unknown paths 404', async () => {
  const bad = await daemon.api('POST', '/v1/apps/x/deploys', {
    body: JSON.stringify({ artifact: 'nope', config: { file: 'berth.toml' } }),
    contentType: 'application/json',
  });
  assert.equal(bad.status, 400);
  const body = JSON.parse(bad.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'invalid_request');
  assert.match(body.error.message, /\/artifact/);
  assert.match(body.error.message, /\/config\/text/);
  assert.equal(
    (await daemon.api('POST', '/v1/apps', { body: '{', contentType: 'application/json' })).status,
    400,
  );
  const name = await daemon.api('POST', '/v1/apps', {
    body: '{"name":"Bad_Name"}',
    contentType: 'application/json',
  });
  assert.equal(name.status, 400);
  assert.equal((JSON.parse(name.body) as { error: { code: string } }).error.code, 'invalid_app_name');
  assert.equal((await daemon.api('GET', '/v1/nothing')).status, 404);
});

test('a path-traversal archive is refused with a 400 naming the entry', async () => {
  const archive = await makeTarGz([
    { path: 'ok.txt', type: 'file', body: 'fine' },
    { path: '../escape.txt', type: 'file', body: 'evil' },
  ]);
  const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
  const res = await daemon.api('PUT', `/v1/artifacts/${digest}`, {
    body: archive,
    contentType: 'application/gzip',
  });
  assert.equal(res.status, 400);
  const body = JSON.parse(res.body) as { error: { code: string; message: string; hint: string } };
  assert.equal(body.error.code, 'unsafe_archive');
  assert.match(body.error.message, /\.\.\/escape\.txt/);
  const head = await daemon.api('HEAD', `/v1/artifacts/${digest}`);
  assert.equal(head.status, 404, 'a refused archive is not kept');
});

test('a failed build marks the release failed and changes nothing live', async () => {
  const good = appDir('buildy', 'app = "buildy"\n[http_service]\ninternal_port = 3000\n');
  assert.equal((await daemon.cli(['deploy', good])).code, 0);
  const bad = appDir(
    'buildy-bad',
    'app = "buildy"\n[build]\ncommand = "echo compiling; echo oops >&2; exit 7"\n[http_service]\ninternal_port = 3000\n',
  );
  const result = await daemon.cli(['deploy', bad]);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /│ oops/);
  assert.match(result.stdout, /exited with code 7/);
  const releases = await daemon.cliJson<Array<{ version: number; status: string; failureReason: string }>>([
    'releases',
    '-a',
    'buildy',
  ]);
  assert.equal(releases[0]!.status, 'failed');
  assert.equal(releases[1]!.status, 'complete');
  const res = await daemon.proxied('buildy');
  assert.match(res.body, /release v1/);
});

test('a release whose process exits at once fails with its last log lines; v1 keeps serving', async () => {
  const bad = appDir(
    'buildy-crash',
    'app = "buildy"\n[processes]\napp = "echo starting; echo boom >&2; exit 1"\n[http_service]\ninternal_port = 3000\n',
  );
  const result = await daemon.cli(['deploy', bad]);
  assert.equal(result.code, 4, 'reverted');
  assert.match(result.stdout, /exited before it was healthy/);
  assert.match(result.stdout, /reverting to v1/);
  assert.match(result.stdout, /boom/);
  assert.match((await daemon.proxied('buildy')).body, /release v1/);
});

test('unknown commands and options exit 2 with usage help', async () => {
  const result = await daemon.cli(['deploy', '--bogus']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown option '--bogus'/);
});
