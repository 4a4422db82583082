// A daemon upgraded while machines run: rows written before handles were typed (the pid as
// `ref`, one `address`) and releases made before drivers (marked by migration 9) are read as
// they were. The new daemon adopts the running machine, keeps serving it, and can start more
// machines of that release and stop the old one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestDaemon, eventually, isAlive } from '../helpers/daemon.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await TestDaemon.start();
  work = mkdtempSync(join(tmpdir(), 'berth-upgrade-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

test('machines and releases recorded before drivers are adopted and run after an upgrade', async () => {
  await daemon.deploy(writeRolloutApp(join(work, 'old'), { app: 'old', label: 'v1' }));
  const [machine] = await daemon.machines('old');
  assert.ok(machine?.address);
  const pid = daemon.machinePids().get(machine.id)!;

  daemon.kill9();
  await daemon.waitExit();
  // Rewrite the rows as a daemon before drivers left them.
  const db = new Database(join(daemon.home, 'berth.db'));
  try {
    const row = db.prepare('SELECT handle_json FROM machines WHERE id = ?').get(machine.id) as {
      handle_json: string;
    };
    const handle = JSON.parse(row.handle_json) as { pid: number; startTime?: string; logPath: string };
    const old = {
      driver: 'process',
      ref: String(handle.pid),
      ...(handle.startTime !== undefined && { startTime: handle.startTime }),
      address: machine.address,
      logPath: handle.logPath,
    };
    db.prepare('UPDATE machines SET handle_json = ? WHERE id = ?').run(JSON.stringify(old), machine.id);
    db.prepare(`UPDATE releases SET prepared_json = '"legacy"' WHERE app = 'old'`).run();
    db.prepare(`UPDATE apps SET driver = NULL WHERE name = 'old'`).run();
  } finally {
    db.close();
  }

  await daemon.boot();
  assert.ok(isAlive(pid), 'the machine outlived the old daemon');
  const events = await daemon.events('old');
  const adopted = events.find((e) => e.kind === 'machine.adopted' && e.machineId === machine.id);
  assert.match(adopted?.message ?? '', new RegExp(`adopted \\(pid ${pid}\\), still running`));
  const answer = await eventually(async () => {
    const res = await daemon.proxied('old');
    return res.status === 200 ? res.body : undefined;
  }, 10_000);
  assert.match(answer ?? '', new RegExp(`^v1 ${machine.id}`));
  const logs = await daemon.cli(['logs', '-a', 'old', '--machine', machine.id]);
  assert.match(logs.stdout, /booting v1/);

  // The release's tree is found where the old daemon left it: a new machine starts from it,
  // and the adopted one stops through its old handle.
  const scaled = await daemon.cli(['scale', 'count', '2', '-a', 'old']);
  assert.equal(scaled.code, 0, scaled.stderr + scaled.stdout);
  const scaledDown = await daemon.cli(['machine', 'destroy', machine.id, '-a', 'old', '--force']);
  assert.equal(scaledDown.code, 0, scaledDown.stderr + scaledDown.stdout);
  await eventually(() => !isAlive(pid), 10_000);
  const res = await daemon.proxied('old');
  assert.equal(res.status, 200);
  assert.doesNotMatch(res.body, new RegExp(machine.id));
});
