// Deploying from a program: examples/deploy-from-script run as a real child process (importing
// 'berth' as a package consumer would), and BerthClient.deploy called here, against a real
// daemon, its answers checked against the API's schemas, the result seen through the proxy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, BerthClient, type DeployProgress } from '../../src/sdk/index.js';
import { EXAMPLES, REPO_ROOT, TestDaemon } from '../helpers/daemon.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

let daemon: TestDaemon;
let client: BerthClient;
let scratch: string;
before(async () => {
  daemon = await TestDaemon.start();
  client = new BerthClient({ url: daemon.info.apiUrl, token: daemon.token });
  scratch = mkdtempSync(join(tmpdir(), 'berth-sdk-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

/** `node examples/deploy-from-script/deploy.mjs APP`, finding the daemon through the environment. */
function runExample(app: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(EXAMPLES, 'deploy-from-script', 'deploy.mjs'), app], {
      cwd: REPO_ROOT,
      env: { ...daemon.env, BERTH_API_URL: daemon.info.apiUrl, BERTH_TOKEN: daemon.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('examples/deploy-from-script deploys its app with the SDK and prints the rollout', async () => {
  const run = await runExample('from-script');
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^packed \d+ files \(sha256:/m);
  assert.match(run.stdout, /^uploaded$/m);
  assert.match(run.stdout, /^release v1 of from-script created$/m);
  assert.match(run.stdout, /now takes traffic/);
  assert.match(run.stdout, /v1 is live: http:\/\/from-script\.localhost:\d+/);

  const res = await daemon.proxied('from-script');
  assert.equal(res.status, 200);
  assert.equal(res.body, 'deployed from a script: release v1\n');
  const [release] = await client.listReleases('from-script');
  assert.equal(release!.description, 'deployed from deploy.mjs');
  assert.equal(release!.status, 'complete');
});

test('running the example again sends nothing new and makes v2 live', async () => {
  const run = await runExample('from-script');
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^source already on the daemon$/m);
  assert.match(run.stdout, /v2 is live/);
  assert.equal((await daemon.proxied('from-script')).body, 'deployed from a script: release v2\n');
});

test('client.deploy reports each step in order and resolves with the live release', async () => {
  const dir = writeRolloutApp(join(scratch, 'ok'), { app: 'sdk-ok', label: 'first' });
  const steps: DeployProgress[] = [];
  const result = await client.deploy({ dir, strategy: 'bluegreen', onProgress: (p) => steps.push(p) });
  assert.equal(result.outcome, 'succeeded');
  assert.equal(result.app, 'sdk-ok');
  assert.equal(result.release.version, 1);
  assert.equal(result.release.status, 'complete');
  assert.equal(result.final?.kind, 'release.complete');
  assert.equal(result.artifact.uploaded, true);
  const kinds = [...new Set(steps.map((s) => s.kind))];
  assert.deepEqual(kinds, ['config', 'pack', 'upload', 'release', 'event']);
  const last = steps.at(-1)!;
  assert.ok(last.kind === 'event' && last.event.kind === 'release.complete');
  assert.match((await daemon.proxied('sdk-ok')).body, /^first /);
});

test('a deploy whose machines never become healthy resolves with its outcome instead of throwing', async () => {
  const dir = writeRolloutApp(join(scratch, 'bad'), {
    app: 'sdk-ok',
    label: 'second',
    behaviour: 'crash',
    waitTimeout: '3s',
  });
  const result = await client.deploy({ dir });
  assert.ok(result.outcome === 'failed' || result.outcome === 'reverted', result.outcome);
  assert.equal(result.release.version, 2);
  assert.notEqual(result.release.status, 'complete');
  assert.equal(result.final?.kind, 'release.failed');
  // The previous release keeps serving.
  assert.match((await daemon.proxied('sdk-ok')).body, /^first /);
});

test('follow: false resolves once the release exists', async () => {
  const dir = writeRolloutApp(join(scratch, 'detached'), { app: 'sdk-detached', label: 'd' });
  const result = await client.deploy({ dir, follow: false });
  assert.equal(result.outcome, 'started');
  assert.equal(result.final, null);
  const followed = await client.followRelease('sdk-detached', result.release.version);
  assert.equal(followed.outcome, 'succeeded');
});

test('aborting stops following; the rollout goes on in the daemon', async () => {
  const dir = writeRolloutApp(join(scratch, 'abort'), { app: 'sdk-abort', label: 'a' });
  const controller = new AbortController();
  await assert.rejects(
    client.deploy({
      dir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.kind === 'release') controller.abort();
      },
    }),
    (err) => (err as Error).name === 'AbortError',
  );
  const [release] = await client.listReleases('sdk-abort');
  const followed = await client.followRelease('sdk-abort', release!.version);
  assert.equal(followed.outcome, 'succeeded');
});

test('refusals reject with an ApiError carrying the code and hint', async () => {
  await assert.rejects(
    client.deploy({ dir: join(scratch, 'missing') }),
    (err) =>
      err instanceof ApiError && err.code === 'invalid_request' && /is not a directory/.test(err.message),
  );
  const dir = writeRolloutApp(join(scratch, 'named'), { app: 'sdk-named', label: 'n' });
  await assert.rejects(
    client.deploy({ dir, app: 'Not A Name' }),
    (err) => err instanceof ApiError && err.status === 400 && err.hint.length > 0,
  );
  const stranger = new BerthClient({ url: daemon.info.apiUrl, token: 'not-a-token' });
  await assert.rejects(
    stranger.deploy({ dir }),
    (err) => err instanceof ApiError && err.code === 'unauthorized' && err.status === 401,
  );
  // berth deploy goes the same way, and names the problem (its first call is a HEAD, which has no body).
  const cli = await daemon.cli(['deploy', dir], { env: { BERTH_TOKEN: 'berth_wrong' } });
  assert.equal(cli.code, 2, cli.stderr + cli.stdout);
  assert.match(cli.stderr, /error: the API token is not valid/);
});
