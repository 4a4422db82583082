// Machines the daemon could not finish: one the supervisor cannot restart (its release's tree
// is gone) is reported and retried with backoff while the daemon and the app's other machines
// carry on; one a scale-up started just before the daemon died is finished on restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo, MachineStatusInfo } from '../../src/sdk/types.js';
import { eventually, killGroup, TestDaemon } from '../helpers/daemon.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

let daemon: TestDaemon;
let work: string;

before(async () => {
  daemon = await TestDaemon.start();
  work = mkdtempSync(join(tmpdir(), 'berth-supervise-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

test('a machine that cannot be restarted is reported and retried; the daemon keeps serving', async () => {
  const deployed = await daemon.cli([
    'deploy',
    writeRolloutApp(join(work, 'a'), { app: 'fragile', label: 'one' }),
  ]);
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
  const scaled = await daemon.cli(['scale', 'count', '2', '-a', 'fragile']);
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  const [victim, other] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'fragile']);

  // Without its release's tree the machine cannot be copied out again on a restart.
  const tree = join(daemon.home, 'releases', 'fragile', 'v1');
  renameSync(tree, `${tree}.away`);
  killGroup(daemon.machinePids().get(victim!.id)!);

  const failed = await eventually(
    async () => {
      const status = await daemon.cliJson<MachineStatusInfo>([
        'machine',
        'status',
        victim!.id,
        '-a',
        'fragile',
      ]);
      return status.events.find((e) => e.kind === 'machine.restart_failed');
    },
    20_000,
    'a machine.restart_failed event',
  );
  assert.match(failed!.message, /could not be restarted: .*; trying again in \d+ ms \(attempt \d+\)/);

  // The daemon is alive and the other machine still takes the app's traffic.
  const res = await daemon.proxied('fragile');
  assert.equal(res.status, 200);
  assert.equal(res.body.trim(), `one ${other!.id}`);

  // Once the tree is back, the next attempt restarts it.
  renameSync(`${tree}.away`, tree);
  await eventually(
    async () => {
      const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'fragile']);
      return machines.find((m) => m.id === victim!.id)?.state === 'started';
    },
    30_000,
    'the machine started again',
  );
});

test('a machine a scale-up started before the daemon died is served once healthy after a restart', async () => {
  const app = 'interrupted';
  const deployed = await daemon.cli([
    'deploy',
    writeRolloutApp(join(work, 'b'), { app, label: 'one', healthCheck: true }),
  ]);
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
  const [first] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);

  // The scale-up waits for its new machine's health (with a settle time); kill the daemon then.
  const scaling = daemon.cli(['scale', 'count', '2', '-a', app]);
  const starting = (await eventually(
    async () =>
      (await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app])).find(
        (m) => m.id !== first!.id && m.state === 'starting',
      ),
    20_000,
    'the scale-up to start a machine',
  ))!;
  daemon.kill9();
  await daemon.waitExit();
  await scaling;

  await daemon.boot();
  await eventually(
    async () => {
      const machine = (await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app])).find(
        (m) => m.id === starting.id,
      );
      return machine?.state === 'started';
    },
    30_000,
    'the interrupted machine to be served',
  );
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < 2; i++) {
    const res = await daemon.proxied(app);
    assert.equal(res.status, 200, res.body);
    seen.add(res.body.trim().split(' ')[1]!);
  }
  assert.deepEqual(seen, new Set([first!.id, starting.id]));
  const status = await daemon.cliJson<MachineStatusInfo>(['machine', 'status', starting.id, '-a', app]);
  assert.ok(status.events.some((e) => e.kind === 'machine.recovered'));
});
