// `berth events` through the real CLI and daemon: what happened to an app, who did it and when,
// replayed and followed (-f, --json); secrets by name, never by value. And `berth status`
// giving the app's HTTPS URL beside its HTTP one when the daemon has a TLS listener.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { EventInfo, StatusInfo } from '../../src/sdk/types.js';
import { CLI, eventually, EXAMPLES, REPO_ROOT, TestDaemon } from '../helpers/daemon.js';
import { join } from 'node:path';

let daemon: TestDaemon;
const APP = 'storied';

before(async () => {
  daemon = await TestDaemon.start({ BERTH_PROXY_TLS_LISTEN: '127.0.0.1:0' });
  await daemon.deploy(join(EXAMPLES, 'hello'), ['-a', APP]);
});
after(async () => {
  await daemon?.destroy();
});

/** `berth events ARGS` running in the background, its stdout lines collected as they come. */
function follow(args: string[]): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, [CLI, 'events', ...args], { cwd: REPO_ROOT, env: daemon.env });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return { child, lines };
}

test('events replays what happened to the app, by whom, without the deploy progress detail', async () => {
  const result = await daemon.cli(['events', '-a', APP]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}admin +app storied created by admin/m);
  assert.match(result.stdout, /admin +release v1 is live/);
  assert.match(result.stdout, /admin +machine \w+ \(app\) started/);
  assert.doesNotMatch(result.stdout, /check ".*" passing|listening on/, 'progress detail only with --all');
  const all = await daemon.cli(['events', '-a', APP, '--all']);
  assert.match(all.stdout, /rolling out app×1/);
});

test('events -f --json streams new events as they happen: secrets by name, scaling, who did it', async () => {
  const followed = follow(['-a', APP, '-f', '--json', '-n', '1']);
  try {
    // The one replayed event says the stream is open: what happens from here on reaches it.
    await eventually(() => followed.lines.length > 0, 10_000, 'the replayed event');
    const set = await daemon.cli(['secrets', 'set', 'API_TOKEN=s3cr3t-value', '--stage', '-a', APP]);
    assert.equal(set.code, 0, set.stderr);
    const scaled = await daemon.cli(['scale', 'count', '2', '-a', APP]);
    assert.equal(scaled.code, 0, scaled.stderr);
    const events = (await eventually(
      () => {
        const parsed = followed.lines.map((l) => JSON.parse(l) as EventInfo);
        return (
          parsed.some((e) => e.kind === 'scale.step' && /healthy and taking traffic/.test(e.message)) &&
          parsed
        );
      },
      30_000,
      'the followed events to reach the scale',
    )) as EventInfo[];
    assert.equal(events.filter((e) => e.kind === 'release.created').length, 0, '-n 1 replays only the last');
    const staged = events.find((e) => e.kind === 'secrets.staged');
    assert.ok(staged, JSON.stringify(events));
    assert.equal(staged.actor, 'admin');
    assert.match(staged.message, /API_TOKEN/);
    assert.ok(!followed.lines.join('\n').includes('s3cr3t-value'), 'never a value');
    const started = events.find((e) => e.kind === 'machine.started');
    assert.equal(started?.actor, 'admin', 'a machine the scale started is the scaler’s user’s doing');
    assert.equal(followed.child.exitCode, null, 'still following');
  } finally {
    followed.child.kill();
  }
});

test('events without an app and outside an app directory lists every app, naming each', async () => {
  const result = await daemon.cli(['events', '-n', '5'], { cwd: '/' });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, / storied {2}admin +\S/);
  const missing = await daemon.cli(['events', '-a', 'nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /app "nope" does not exist/);
});

test('status shows the HTTPS URL beside the HTTP one when the daemon has a TLS listener', async () => {
  const status = await daemon.cliJson<StatusInfo>(['status', '-a', APP]);
  assert.equal(status.app.state, 'deployed');
  assert.equal(status.app.urls.length, 2);
  assert.match(status.app.urls[0]!, /^http:\/\/storied\.localhost:\d+$/);
  assert.match(status.app.urls[1]!, /^https:\/\/storied\.localhost:\d+$/);
  const text = await daemon.cli(['status', '-a', APP]);
  assert.match(text.stdout, /^URL\s+http:\/\/storied\S+\s+https:\/\/storied\S+$/m);
  assert.match(text.stdout, /^Machines\s+2\/2 started$/m);
  assert.match(text.stdout, /^Restarts\s+0 in the last hour$/m);
});
