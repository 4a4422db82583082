// A release with a build step and two process groups: web serves HTTP, worker runs beside it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { MachineInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon, eventually, killGroup } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await TestDaemon.start();
});
after(async () => {
  await daemon.destroy();
});

test('deploy runs the build once, streams its output, and starts one machine per process group', async () => {
  const result = await daemon.cli(['deploy', join(EXAMPLES, 'web-worker')]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /building: node build\.js/);
  assert.match(result.stdout, /│ build: wrote build-info\.json/);
  const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'web-worker']);
  assert.deepEqual(machines.map((m) => m.processGroup).sort(), ['web', 'worker']);
  assert.ok(machines.every((m) => m.state === 'started'));
  // Only the web machine is routed and has an address; the worker is said to take no traffic.
  const web = machines.find((m) => m.processGroup === 'web')!;
  const worker = machines.find((m) => m.processGroup === 'worker')!;
  assert.match(web.address ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(worker.address, null);
  assert.match(result.stdout, new RegExp(`machine ${web.id} now takes traffic`));
  assert.match(
    result.stdout,
    new RegExp(`machine ${worker.id} \\(worker\\) is running; it takes no traffic`),
  );
  assert.doesNotMatch(result.stdout, new RegExp(`${worker.id}[^\\n]*(now takes? traffic|started on)`));
});

test('only the web group is routed; it sees the build output in its own tree', async () => {
  const res = await daemon.proxied('web-worker');
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body) as { process: string; release: string; builtAt: string };
  assert.equal(body.process, 'web');
  assert.equal(body.release, '1');
  assert.ok(Date.parse(body.builtAt) > 0);
});

test('the worker logs to its own file, read with logs --machine', async () => {
  const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'web-worker']);
  const worker = machines.find((m) => m.processGroup === 'worker')!;
  await eventually(
    async () => {
      const logs = await daemon.cli(['logs', '-a', 'web-worker', '--machine', worker.id]);
      return /worker heartbeat \d+ \(release v1\)/.test(logs.stdout) && !/web:/.test(logs.stdout);
    },
    10_000,
    'worker heartbeat in its log',
  );
});

test('logs -f follows new lines as they are written', async () => {
  const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'web-worker']);
  const worker = machines.find((m) => m.processGroup === 'worker')!;
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../helpers/daemon.js');
  const child = spawn(
    process.execPath,
    [CLI, 'logs', '-a', 'web-worker', '--machine', worker.id, '-f', '-n', '0'],
    {
      env: daemon.env,
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await eventually(() => /worker heartbeat/.test(out), 10_000, 'a followed log line');
  } finally {
    child.kill('SIGINT');
  }
});

test('a machine that crashes is restarted with backoff, recorded as events', async () => {
  const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'web-worker']);
  const worker = machines.find((m) => m.processGroup === 'worker')!;
  const pid = daemon.machinePids().get(worker.id)!;
  killGroup(pid);
  const restarted = await eventually(
    async () => {
      const list = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'web-worker']);
      const m = list.find((x) => x.id === worker.id)!;
      return m.restarts >= 1 && m.state === 'started' ? m : undefined;
    },
    15_000,
    'worker to be restarted',
  );
  assert.equal(restarted!.lastExit, 'killed by SIGKILL');
  assert.notEqual(daemon.machinePids().get(worker.id), pid);
  const events = await daemon.api('GET', '/v1/apps/web-worker/events');
  const kinds = (JSON.parse(events.body) as Array<{ kind: string; machineId: string }>)
    .filter((e) => e.machineId === worker.id)
    .map((e) => e.kind);
  assert.ok(kinds.includes('machine.exited'), kinds.join());
  assert.ok(kinds.includes('machine.restarted'), kinds.join());
});

test('deploy --json: every event about one machine carries its machineId', async () => {
  const result = await daemon.cli(['deploy', join(EXAMPLES, 'web-worker'), '--json', '-m', 'again']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const events = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind: string; message: string; machineId?: string | null });
  const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'web-worker']);
  const web = machines.find((m) => m.processGroup === 'web' && m.releaseVersion === 2)!;
  const worker = machines.find((m) => m.processGroup === 'worker' && m.releaseVersion === 2)!;
  const about = (id: string) => events.filter((e) => e.message.includes(`machine ${id}`));
  for (const id of [web.id, worker.id]) {
    const kinds = about(id).map((e) => e.kind);
    assert.ok(kinds.includes('machine.started') && kinds.includes('machine.healthy'), kinds.join());
    for (const e of about(id)) assert.equal(e.machineId, id, `${e.kind}: ${e.message}`);
  }
  // The machines of v1 were drained and stopped: those events name them too.
  const retired = events.filter((e) => e.kind === 'machine.retired');
  assert.equal(retired.length, 2);
  for (const e of retired) assert.ok(e.machineId && e.message.includes(e.machineId), e.message);
});
