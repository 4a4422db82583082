// Several drivers in one daemon, as a daemon without a Docker Engine sees them: the log names
// the drivers it has and why docker is missing; `server --driver docker` is refused with the
// fix; a deploy names its driver and why; a build that needs Docker fails before anything
// changes; `--driver` is kept for the app's next deploys; volumes block a move.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppInfo, ReleaseInfo } from '../../src/sdk/types.js';
import { CLI, TestDaemon } from '../helpers/daemon.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

// No Engine answers there, whatever this host runs.
const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/berth-test/docker.sock' };

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await TestDaemon.start(NO_DOCKER);
  work = mkdtempSync(join(tmpdir(), 'berth-drivers-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** A rollout app that also has a Dockerfile at its root, with or without [processes]. */
function dockerfileApp(app: string, processes: boolean): string {
  const dir = writeRolloutApp(join(work, app), { app, label: app });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM node:20-slim\nCOPY . /app\nCMD ["node", "/app/server.js"]\n');
  if (!processes) {
    // Its package.json still says `npm start`: only the process driver would read that.
    const config = readFileSync(join(dir, 'berth.toml'), 'utf8');
    writeFileSync(join(dir, 'berth.toml'), config.replace('[processes]\napp = "node server.js"\n', ''));
  }
  return dir;
}

test('the daemon log names its drivers and why docker is missing', () => {
  assert.match(
    daemon.daemonLog(),
    /drivers: process \(default process\); no docker: no Docker Engine at \/nonexistent\/berth-test\/docker\.sock/,
  );
});

test('berth server --driver docker is refused at start when no Engine answers, with the fix', async () => {
  const home = mkdtempSync(join(tmpdir(), 'berth-drivers-home-'));
  try {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'server',
          '--home',
          home,
          '--api',
          '127.0.0.1:0',
          '--proxy',
          '127.0.0.1:0',
          '--driver',
          'docker',
        ],
        { env: { ...daemon.env, ...NO_DOCKER, BERTH_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--driver docker: no Docker Engine at \/nonexistent/);
    assert.match(result.stderr, /Start Docker.*DOCKER_HOST.*--driver process/s);
    assert.match(result.stderr, /docker_unavailable/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a deploy names its driver and why; apps list and status show it', async () => {
  const out = await daemon.deploy(writeRolloutApp(join(work, 'plain'), { app: 'plain', label: 'plain' }));
  assert.match(out, /driver process: the server's default/);
  const apps = await daemon.cliJson<AppInfo[]>(['apps', 'list']);
  assert.equal(apps.find((a) => a.name === 'plain')?.driver, 'process');
  const [release] = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'plain']);
  assert.equal(release?.driver, 'process');
  const status = await daemon.cli(['status', '-a', 'plain']);
  assert.match(status.stdout, /^Driver +process$/m);
});

test('a Dockerfile app without [processes] fails before anything changes on a daemon without Docker', async () => {
  const result = await daemon.cli(['deploy', dockerfileApp('imaged', false)]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /needs the docker driver \(the app has a Dockerfile\)/);
  assert.match(result.stderr, /hint: .*DOCKER_HOST.*\[processes\].*--driver process/s);
  assert.match(result.stderr, /code: docker_unavailable/);
  // Nothing was made: not the app, not a release.
  const apps = await daemon.cliJson<AppInfo[]>(['apps', 'list']);
  assert.equal(
    apps.find((a) => a.name === 'imaged'),
    undefined,
  );
});

test('a Dockerfile app with [processes] runs as processes; --driver process is kept for the next deploy', async () => {
  const withProcesses = await daemon.deploy(dockerfileApp('both', true));
  assert.match(withProcesses, /driver process: the server's default/);

  const dir = dockerfileApp('forced', false);
  const forced = await daemon.cli(['deploy', dir, '--driver', 'process']);
  assert.equal(forced.code, 0, forced.stdout + forced.stderr);
  assert.match(forced.stdout, /driver process: asked for with --driver/);
  const again = await daemon.deploy(dir);
  assert.match(again, /driver process: the app's driver/);
  const res = await daemon.proxied('forced');
  assert.equal(res.status, 200);
});

test('volumes block a move to another driver, naming them and how to move', async () => {
  await daemon.deploy(writeRolloutApp(join(work, 'keeper'), { app: 'keeper', label: 'keeper' }));
  const created = await daemon.cliJson<{ id: string }>(['volumes', 'create', 'data', '-a', 'keeper']);
  const before = await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'keeper']);
  const moved = await daemon.cli(['deploy', join(work, 'keeper'), '--driver', 'docker']);
  assert.notEqual(moved.code, 0);
  assert.match(
    moved.stderr,
    new RegExp(`runs on the process driver and has volumes there \\(${created.id} \\(data\\)\\)`),
  );
  assert.match(moved.stderr, /code: driver_move_blocked/);
  assert.match(moved.stderr, /--driver process.*volumes destroy/s);
  assert.equal((await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'keeper'])).length, before.length);
});
