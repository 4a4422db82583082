// One daemon per home: a second `berth server` on a home a live daemon holds refuses to start,
// naming the holder; a daemon killed with SIGKILL leaves no lock behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInfo } from '../../src/daemon/server-info.js';
import { CLI, REPO_ROOT, TestDaemon, isAlive } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await TestDaemon.start();
});
after(async () => {
  await daemon.destroy();
});

function serveSameHome(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [CLI, 'server', '--home', daemon.home, '--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'],
      { cwd: REPO_ROOT, env: daemon.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const serverInfo = () => JSON.parse(readFileSync(join(daemon.home, 'server.json'), 'utf8')) as ServerInfo;

test('a second daemon on a held home refuses to start, naming the holder, and changes nothing', async () => {
  const second = await serveSameHome();
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`another berth daemon \\(pid ${daemon.pid}\\) already serves`));
  assert.ok(second.stderr.includes(daemon.info.apiUrl), second.stderr);
  assert.ok(second.stderr.includes(daemon.info.proxyUrl), second.stderr);
  assert.match(second.stderr, new RegExp(`kill ${daemon.pid}`));
  assert.match(second.stderr, /another --home/);
  assert.match(second.stderr, /code: home_in_use/);
  assert.deepEqual(serverInfo(), daemon.info, 'server.json still names the first daemon');
  assert.equal((await daemon.api('GET', '/v1/health')).status, 200, 'the first daemon still serves');
});

test('a daemon killed with SIGKILL leaves no lock: the next one starts at once', async () => {
  const killed = daemon.pid;
  daemon.kill9();
  await daemon.waitExit();
  assert.ok(!isAlive(killed));
  await daemon.boot();
  assert.notEqual(daemon.pid, killed);
  assert.equal(serverInfo().pid, daemon.pid);
  const again = await serveSameHome();
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, new RegExp(`pid ${daemon.pid}\\)`));
});

test('SIGTERM gives the home back', async () => {
  assert.equal(await daemon.terminate(), 0);
  await daemon.boot();
  assert.equal((await daemon.api('GET', '/v1/health')).status, 200);
});
