// The daemon's own life: killed with SIGKILL its machines keep serving and are adopted on
// restart; SIGTERM shuts it down cleanly and leaves machines running.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon, httpRequest, isAlive } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await TestDaemon.start();
});
after(async () => {
  await daemon.destroy();
});

function direct(address: string) {
  const [host, port] = address.split(':');
  return httpRequest({ host: host!, port: Number(port), path: '/', method: 'GET', headers: {} });
}

test('the first start writes server.json, an admin token (0600) and a WAL database', () => {
  const credentials = join(daemon.home, 'credentials');
  assert.equal(statSync(credentials).mode & 0o777, 0o600);
  assert.match(daemon.token, /^berth_/);
  assert.ok(existsSync(join(daemon.home, 'berth.db-wal')));
  assert.equal(daemon.info.pid, daemon.pid);
});

test('kill -9 the daemon: machines keep serving; on restart they are adopted, not restarted', async () => {
  const deployed = await daemon.cli(['deploy', join(EXAMPLES, 'hello')]);
  assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  const [machine] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'hello']);
  const pid = daemon.machinePids().get(machine!.id)!;

  daemon.kill9();
  await daemon.waitExit();
  const res = await direct(machine!.address!);
  assert.equal(res.status, 200, 'the machine answers with its daemon dead');
  assert.ok(isAlive(pid));

  await daemon.boot();
  const [adopted] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'hello']);
  assert.equal(adopted!.id, machine!.id);
  assert.equal(adopted!.restarts, 0);
  assert.equal(adopted!.startedAt, machine!.startedAt);
  assert.equal(daemon.machinePids().get(machine!.id), pid, 'same process, not a restart');
  const proxied = await daemon.proxied('hello');
  assert.equal(proxied.status, 200);
  assert.match(proxied.body, new RegExp(machine!.id));
  const events = JSON.parse((await daemon.api('GET', '/v1/apps/hello/events')).body) as Array<{
    kind: string;
  }>;
  assert.ok(events.some((e) => e.kind === 'machine.adopted'));
});

test('SIGTERM stops the daemon cleanly (exit 0, server.json removed) and leaves machines running', async () => {
  const pids = [...daemon.machinePids().values()];
  assert.equal(await daemon.terminate(), 0);
  assert.ok(!existsSync(join(daemon.home, 'server.json')));
  for (const pid of pids) assert.ok(isAlive(pid), `machine ${pid} still runs`);
  await daemon.boot();
  assert.equal((await daemon.proxied('hello')).status, 200);
});
