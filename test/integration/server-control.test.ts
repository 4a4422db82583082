// `berth server status|stop|restart` with a real daemon started on port 0 and the real CLI: a
// restart keeps the machines running (same processes) and the ports port 0 chose, so the URLs
// printed before still answer; server.toml turns the TLS listener on at that restart, as the
// hint of `certs add` says; a stop leaves the machines running and status then says none runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerStatusInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon } from '../helpers/daemon.js';

type Status = { running: true } & ServerStatusInfo;

/** A live process (a zombie no one has reaped yet is gone: a restarted daemon has no parent to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

describe('berth server status, stop and restart', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await TestDaemon.start();
    await daemon.deploy(join(EXAMPLES, 'hello'));
  });

  after(async () => {
    // The daemon started by the restart is not the test's child: stop it by the home's pid.
    try {
      const pid = Number(readFileSync(join(daemon.home, 'daemon.pid'), 'utf8'));
      if (pid > 1 && pid !== process.pid) process.kill(pid, 'SIGKILL');
    } catch {
      // none left
    }
    await daemon?.destroy();
  });

  test('status names the daemon the CLI talks to', async () => {
    const status = await daemon.cliJson<Status>(['server', 'status']);
    assert.equal(status.running, true);
    assert.equal(status.pid, daemon.pid);
    assert.equal(status.apiUrl, daemon.info.apiUrl);
    assert.equal(status.proxyUrl, daemon.info.proxyUrl);
    assert.equal(status.proxyTlsUrl, null);
    assert.equal(status.home, daemon.home);
    assert.equal(status.apps, 1);
    assert.equal(status.machinesRunning, 1);
    const text = await daemon.cli(['server', 'status']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`pid ${daemon.pid}`));
  });

  test('certs add without a TLS listener says exactly how to turn it on', async () => {
    const result = await daemon.cli(['certs', 'add', 'shop.example.test', '-a', 'hello']);
    assert.equal(result.code, 0, result.stderr);
    const file = join(daemon.home, 'server.toml');
    assert.ok(result.stderr.includes(`\`proxy_tls = "127.0.0.1:8443"\` to ${file}`), result.stderr);
    assert.match(result.stderr, /`berth server restart`/);
  });

  test('restart keeps machines running and the ports chosen by port 0, and reads server.toml again', async () => {
    const machinesBefore = daemon.machineRefs();
    writeFileSync(join(daemon.home, 'server.toml'), 'proxy_tls = "127.0.0.1:0"\n');
    const result = await daemon.cli(['server', 'restart']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`pid ${daemon.pid} -> \\d+`));
    const status = await daemon.cliJson<Status>(['server', 'status']);
    assert.notEqual(status.pid, daemon.pid);
    assert.ok(!alive(daemon.pid), 'the old daemon is gone');
    // The URLs printed before are still true.
    assert.equal(status.apiUrl, daemon.info.apiUrl);
    assert.equal(status.proxyUrl, daemon.info.proxyUrl);
    assert.match(status.proxyTlsUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    // The same machine processes, adopted, and the app answers where it did.
    assert.deepEqual(daemon.machineRefs(), machinesBefore);
    const res = await daemon.proxied('hello');
    assert.equal(res.status, 200);
  });

  test('stop leaves machines running; status then says no daemon runs, and exits 1', async () => {
    const status = await daemon.cliJson<Status>(['server', 'status']);
    const machines = [...daemon.machinePids().values()];
    const result = await daemon.cli(['server', 'stop']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Stopped the daemon \\(pid ${status.pid}\\)`));
    assert.ok(!alive(status.pid), 'the daemon is gone');
    for (const pid of machines) assert.ok(alive(pid), `machine process ${pid} still runs`);
    const after = await daemon.cli(['server', 'status', '--json']);
    assert.equal(after.code, 1);
    assert.deepEqual(JSON.parse(after.stdout), { running: false });
    const again = await daemon.cli(['server', 'stop']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no berth daemon is running here/);
  });
});
