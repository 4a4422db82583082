// A CLI command that needs a daemon starts one when none answers, and says so in one line.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT, eventually, isAlive } from '../helpers/daemon.js';

const home = mkdtempSync(join(tmpdir(), 'berth-autostart-'));
after(() => {
  try {
    const info = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { pid: number };
    process.kill(info.pid, 'SIGTERM');
  } catch {
    // not running
  }
  rmSync(home, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BERTH_HOME: home,
      BERTH_API_LISTEN: '127.0.0.1:0',
      BERTH_PROXY_LISTEN: '127.0.0.1:0',
    };
    delete env.BERTH_API_URL;
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('the first command starts a daemon in the background; the next one uses it', async () => {
  const first = await run(['apps', 'list']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^berth: started a local daemon \(pid \d+\)/);
  assert.equal(first.stderr.trim().split('\n').length, 1, 'one line');
  const info = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { pid: number };
  assert.ok(isAlive(info.pid));

  const second = await run(['apps', 'list']);
  assert.equal(second.code, 0);
  assert.doesNotMatch(second.stderr, /started a local daemon/);

  process.kill(info.pid, 'SIGTERM');
  await eventually(() => !isAlive(info.pid), 10_000, 'daemon to stop');
});

test('two commands racing to start a daemon end up using the one that won the home', async () => {
  const [a, b] = await Promise.all([run(['apps', 'list']), run(['apps', 'list'])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const info = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { pid: number };
  assert.ok(isAlive(info.pid));
  const named = [...`${a.stderr}${b.stderr}`.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
  assert.ok(named.length >= 1, a.stderr + b.stderr);
  assert.deepEqual(new Set(named), new Set([info.pid]), 'both name the one daemon');
  assert.equal(`${a.stderr}${b.stderr}`.match(/started a local daemon/g)?.length, 1);
});
