// The first deploy, end to end: real daemon, real CLI, real processes, real proxy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { MachineInfo, ReleaseInfo, StatusInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon, eventually, isAlive } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await TestDaemon.start();
});
after(async () => {
  await daemon.destroy();
});

test('berth deploy examples/hello answers through the proxy and ends with the URL', async () => {
  const result = await daemon.cli(['deploy', join(EXAMPLES, 'hello')]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /Release v1 of hello created/);
  assert.match(result.stdout, /machine \w+ now takes traffic/);
  const url = `http://hello.localhost:${new URL(daemon.info.proxyUrl).port}`;
  assert.ok(result.stdout.trimEnd().endsWith(`v1 is live: ${url}`), result.stdout);

  const res = await daemon.proxied('hello');
  assert.equal(res.status, 200);
  assert.match(res.body, /hello from berth: release v1/);
});

test('the machine runs with [env], PORT and berth variables, its log in a file', async () => {
  const [machine] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'hello']);
  assert.ok(machine);
  assert.equal(machine.state, 'started');
  assert.equal(machine.processGroup, 'app');
  assert.equal(machine.command, 'npm start');
  assert.match(machine.address ?? '', /^127\.0\.0\.1:\d+$/);
  const res = await daemon.proxied('hello');
  assert.match(res.body, new RegExp(`machine ${machine.id}`));
  const logs = await daemon.cli(['logs', '-a', 'hello']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /hello listening on :\d+/);
});

test('a second deploy of the same source skips the upload, replaces the machine, and keeps serving', async () => {
  const before = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'hello']);
  const oldPid = daemon.machinePids().get(before[0]!.id)!;
  const result = await daemon.cli(['deploy', join(EXAMPLES, 'hello'), '-m', 'second']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /upload skipped/);
  const after = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'hello']);
  assert.equal(after.length, 1);
  assert.notEqual(after[0]!.id, before[0]!.id);
  assert.equal(after[0]!.releaseVersion, 2);
  await eventually(() => !isAlive(oldPid), 10_000, 'old machine to exit');
  const res = await daemon.proxied('hello');
  assert.match(res.body, /release v2/);
});

test('berth releases lists version, status, description, user, time and digest', async () => {
  const releases = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'hello']);
  assert.deepEqual(
    releases.map((r) => [r.version, r.status, r.description, r.createdBy]),
    [
      [2, 'complete', 'second', 'admin'],
      [1, 'superseded', 'deploy', 'admin'],
    ],
  );
  assert.match(releases[0]!.artifactDigest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(releases[0]!.artifactDigest, releases[1]!.artifactDigest);
  const table = await daemon.cli(['releases', '-a', 'hello']);
  assert.match(table.stdout, /^VERSION\s+STATUS\s+DESCRIPTION\s+USER\s+CREATED\s+ARTIFACT/m);
  assert.match(table.stdout, /^v2\s+complete\s+second\s+admin/m);
});

test('berth status shows the app, current release and machines with uptime and address', async () => {
  const status = await daemon.cliJson<StatusInfo>(['status', '-a', 'hello']);
  assert.equal(status.app.name, 'hello');
  assert.equal(status.release?.version, 2);
  assert.equal(status.deployment, null);
  assert.equal(status.machines.length, 1);
  assert.equal(typeof status.machines[0]!.uptimeSeconds, 'number');
  const human = await daemon.cli(['status', '-a', 'hello']);
  assert.match(human.stdout, /Release\s+v2 \(complete/);
  assert.match(human.stdout, /^ID\s+GROUP\s+RELEASE\s+STATE\s+UPTIME\s+RESTARTS\s+ADDRESS/m);
});

test('the app name comes from the config, so commands run in the app directory need no -a', async () => {
  const result = await daemon.cli(['status', '--json'], { cwd: join(EXAMPLES, 'hello') });
  assert.equal(result.code, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as StatusInfo).app.name, 'hello');
});

test('an unknown host gets a plain 404; an app with no machine a 503 with Retry-After', async () => {
  const unknown = await daemon.proxied('nope');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body, /nope/);
  const created = await daemon.cli(['apps', 'create', 'empty']);
  assert.equal(created.code, 0, created.stderr);
  const empty = await daemon.proxied('empty');
  assert.equal(empty.status, 503);
  assert.ok(empty.headers['retry-after']);
});

test('apps list and apps destroy, which stops machines and removes routes', async () => {
  const apps = await daemon.cliJson<Array<{ name: string }>>(['apps', 'list']);
  assert.deepEqual(
    apps.map((a) => a.name),
    ['empty', 'hello'],
  );
  const pids = [...daemon.machinePids().values()];
  const refused = await daemon.cli(['apps', 'destroy', 'hello']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--yes/);
  const destroyed = await daemon.cli(['apps', 'destroy', 'hello', '--yes']);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  for (const pid of pids) await eventually(() => !isAlive(pid), 10_000, `machine pid ${pid} to exit`);
  assert.equal((await daemon.proxied('hello')).status, 404);
  const status = await daemon.cli(['status', '-a', 'hello']);
  assert.equal(status.code, 2);
  assert.match(status.stderr, /app "hello" does not exist/);
  assert.match(status.stderr, /hint: /);
});
