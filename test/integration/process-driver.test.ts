// The process driver against real processes: fixture apps are written into a temp dir as the
// release, started as machines, and every process started is stopped in after().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packDirectory } from '../../src/artifacts/pack.js';
import { loadConfigText } from '../../src/config/load.js';
import {
  primaryAddress,
  type MachineHandle,
  type MachineSpec,
  type ProcessHandle,
} from '../../src/drivers/driver.js';
import { ProcessDriver } from '../../src/drivers/process/process-driver.js';
import { childInOwnPidNamespace, readProcStat } from '../../src/drivers/process/proc-stat.js';
import { httpGet } from '../helpers/http-get.js';

const root = mkdtempSync(join(tmpdir(), 'berth-process-driver-'));
const machinesDir = join(root, 'machines');
const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
const driverModule = fileURLToPath(new URL('../../src/drivers/process/process-driver.js', import.meta.url));

const SERVER = `
import http from 'node:http';
import fs from 'node:fs';
const server = http.createServer((req, res) => {
  if (req.url === '/env') return res.end(JSON.stringify(process.env));
  if (req.url === '/write') {
    fs.writeFileSync('written.txt', 'by the machine');
    return res.end('ok');
  }
  res.end('hello from ' + process.env.GREETING);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
`;

let releaseCount = 0;
async function makeRelease(files: Record<string, string>): Promise<string> {
  const dir = join(root, `release-${++releaseCount}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

let machineCount = 0;
function specFor(releaseDir: string, command: string, overrides: Partial<MachineSpec> = {}): MachineSpec {
  return {
    machineId: `m${++machineCount}`,
    app: 'demo',
    releaseVersion: 1,
    processGroup: 'app',
    command,
    env: { PATH, GREETING: 'berth' },
    prepared: { driver: 'process', dir: releaseDir },
    ports: [],
    killSignal: 'SIGTERM',
    killTimeoutMs: 2_000,
    ...overrides,
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 5_000) {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The one address a process machine serves on. */
const addr = (handle: MachineHandle): string => primaryAddress(handle)!;

const serving = (handle: MachineHandle) =>
  waitFor(`${addr(handle)} to answer`, () =>
    httpGet(addr(handle)).then((r) => r.status === 200 || undefined),
  );

/** Alive means it exists and is not a zombie nobody reaped (this sandbox's init does not reap). */
function alive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The host's pid of a process its machine knows as `pid` (in its PID namespace, when sandboxed). */
function hostPid(leader: number, pid: number): number {
  const init = childInOwnPidNamespace(leader);
  if (init === undefined) return pid;
  const ns = readlinkSync(`/proc/${init}/ns/pid`);
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const ids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(ids?.trim().split(/\s+/).at(-1)) === pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process ${pid} in the namespace of ${leader}`);
}

/** Stops everything any driver started under machinesDir, whoever started it. */
async function stopAll(): Promise<void> {
  if (!existsSync(machinesDir)) return;
  const cleaner = new ProcessDriver({ machinesDir });
  for (const id of readdirSync(machinesDir)) {
    try {
      const record = JSON.parse(await readFile(join(machinesDir, id, 'handle.json'), 'utf8'));
      const handle: ProcessHandle = {
        driver: 'process',
        pid: record.pid,
        startTime: record.startTime,
        logPath: record.logPath,
        addresses: {},
      };
      await cleaner.stop(handle, { signal: 'SIGKILL', timeoutMs: 0 });
    } catch {
      // No handle.json, or already gone.
    }
  }
}

const extraPids: number[] = [];
after(async () => {
  for (const pid of extraPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('process driver', { timeout: 30_000 }, () => {
  const driver = new ProcessDriver({ machinesDir });
  const exits: { machineId: string; exitCode: number | null; signal: string | null }[] = [];
  driver.onExit((machineId, exit) => exits.push({ machineId, ...exit }));
  let serverRelease: string;

  before(async () => {
    serverRelease = await makeRelease({ 'server.mjs': SERVER });
  });

  test('serves HTTP on the PORT it was given, with the spec env and nothing of the daemon', async () => {
    process.env.BERTH_TEST_SHOULD_NOT_LEAK = 'secret';
    const spec = specFor(serverRelease, 'exec node server.mjs', {
      env: { PATH, GREETING: 'berth', DATABASE_URL: 'postgres://x', PORT: '1' },
      ports: [8080],
    });
    const handle = await driver.start(spec);
    delete process.env.BERTH_TEST_SHOULD_NOT_LEAK;

    assert.equal(handle.driver, 'process');
    assert.ok(Number.isSafeInteger(handle.pid) && handle.pid > 1);
    assert.match(handle.startTime ?? '', /^\d+$/);
    // One host port stands for the internal port: processes share the host's network.
    assert.deepEqual(Object.keys(handle.addresses), ['8080']);
    assert.match(addr(handle), /^127\.0\.0\.1:\d+$/);
    assert.equal(driver.describe(handle), `pid ${handle.pid}`);
    assert.equal(handle.logPath, join(machinesDir, spec.machineId, 'machine.log'));
    await serving(handle);

    assert.equal((await httpGet(addr(handle))).body, 'hello from berth');
    const env = JSON.parse((await httpGet(addr(handle), '/env')).body) as Record<string, string>;
    assert.equal(env.PORT, addr(handle).split(':')[1]);
    assert.equal(env.GREETING, 'berth');
    assert.equal(env.DATABASE_URL, 'postgres://x');
    assert.equal(env.BERTH_TEST_SHOULD_NOT_LEAK, undefined);
    assert.deepEqual(await driver.inspect(handle), { state: 'running' });

    const record = JSON.parse(await readFile(join(machinesDir, spec.machineId, 'handle.json'), 'utf8'));
    assert.equal(record.pid, handle.pid);
    assert.equal(record.startTime, handle.startTime);
    assert.deepEqual(record.addresses, handle.addresses);
    assert.equal(record.machineId, spec.machineId);

    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
    assert.equal(alive(handle.pid), false);
  });

  test('the log gets stdout and stderr, appended across restarts', async () => {
    const release = await makeRelease({});
    const spec = specFor(release, 'echo "out $GREETING"; echo "err $GREETING" >&2');
    const first = await driver.start(spec);
    await waitFor('first run to exit', async () => (await driver.inspect(first)).state === 'exited');
    const second = await driver.start(spec);
    await waitFor('second run to exit', async () => (await driver.inspect(second)).state === 'exited');

    assert.equal(second.logPath, first.logPath);
    const lines = (await readFile(first.logPath, 'utf8')).trim().split('\n').sort();
    assert.deepEqual(lines, ['err berth', 'err berth', 'out berth', 'out berth']);
  });

  test("the machine runs in its own copy of the release's tree", async () => {
    const release = await makeRelease({ 'server.mjs': SERVER, 'target.txt': 'target' });
    const { symlinkSync } = await import('node:fs');
    symlinkSync('target.txt', join(release, 'link.txt'));
    const spec = specFor(release, 'exec node server.mjs');
    const handle = await driver.start(spec);
    await serving(handle);
    assert.equal((await httpGet(addr(handle), '/write')).body, 'ok');

    const appDir = join(machinesDir, spec.machineId, 'app');
    assert.equal(await readFile(join(appDir, 'written.txt'), 'utf8'), 'by the machine');
    assert.equal(existsSync(join(release, 'written.txt')), false);
    // A relative symlink stays relative, so it points into the copy and not the release.
    assert.ok(lstatSync(join(appDir, 'link.txt')).isSymbolicLink());
    assert.equal(readlinkSync(join(appDir, 'link.txt')), 'target.txt');
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });

    // Each start gets a fresh copy: what the last run wrote is gone.
    const again = await driver.start(spec);
    await serving(again);
    assert.equal(existsSync(join(appDir, 'written.txt')), false);
    await driver.stop(again, { signal: 'SIGTERM', timeoutMs: 2_000 });
  });

  test('start refuses a machine that is already running', async () => {
    const spec = specFor(serverRelease, 'exec node server.mjs');
    const handle = await driver.start(spec);
    await assert.rejects(driver.start(spec), { code: 'internal', message: /already running/ });
    assert.deepEqual(await driver.inspect(handle), { state: 'running' });
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
  });

  test('stop signals the whole process group: the shell and its child both go', async () => {
    const release = await makeRelease({});
    const spec = specFor(release, 'sleep 300 & echo $! > child.pid; wait');
    const handle = await driver.start(spec);
    const childPidFile = join(machinesDir, spec.machineId, 'app', 'child.pid');
    const inMachine = await waitFor('the child pid', async () =>
      existsSync(childPidFile) ? Number(await readFile(childPidFile, 'utf8')) || undefined : undefined,
    );
    const grandchild = hostPid(handle.pid, inMachine);
    assert.ok(alive(grandchild));

    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
    assert.equal(alive(handle.pid), false);
    assert.equal(alive(grandchild), false);
    assert.deepEqual(await driver.inspect(handle), { state: 'exited', exitCode: null, signal: 'SIGTERM' });
    assert.deepEqual(exits.at(-1), { machineId: spec.machineId, exitCode: null, signal: 'SIGTERM' });

    // Stopping again is a no-op.
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
  });

  test('stop lets a child of the shell finish its graceful shutdown after the shell is gone', async () => {
    // dash does not exec the last command of -c: the shell leads the group and dies on the
    // signal at once, while the app under it takes its time.
    const release = await makeRelease({
      'graceful.mjs': `process.on('SIGTERM', () => setTimeout(() => { console.log('drained'); process.exit(0); }, 300));
setInterval(() => {}, 1000);
console.log('ready');`,
    });
    const handle = await driver.start(specFor(release, 'node graceful.mjs'));
    await waitFor('ready', async () => (await readFile(handle.logPath, 'utf8')).includes('ready'));

    const started = Date.now();
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 3_000 });
    assert.ok(Date.now() - started >= 300);
    assert.match(await readFile(handle.logPath, 'utf8'), /drained/);
  });

  test('stop escalates to SIGKILL when the process ignores the signal', async () => {
    const release = await makeRelease({
      'stubborn.mjs': `process.on('SIGINT', () => console.log('ignoring SIGINT'));
setInterval(() => {}, 1000);
console.log('ready');`,
    });
    const handle = await driver.start(specFor(release, 'exec node stubborn.mjs'));
    await waitFor('ready', async () => (await readFile(handle.logPath, 'utf8')).includes('ready'));

    const started = Date.now();
    await driver.stop(handle, { signal: 'INT', timeoutMs: 400 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 400, `stopped after ${elapsed}ms`);
    assert.equal(alive(handle.pid), false);
    assert.deepEqual(await driver.inspect(handle), { state: 'exited', exitCode: null, signal: 'SIGKILL' });
    assert.match(await readFile(handle.logPath, 'utf8'), /ignoring SIGINT/);
  });

  test('stop refuses a signal the OS does not know', async () => {
    const handle = await driver.start(specFor(serverRelease, 'exec node server.mjs'));
    await assert.rejects(driver.stop(handle, { signal: 'SIGNOPE', timeoutMs: 100 }), { code: 'internal' });
    assert.deepEqual(await driver.inspect(handle), { state: 'running' });
    await driver.stop(handle, { signal: 'sigterm', timeoutMs: 2_000 });
  });

  test('inspect and onExit report the exit code of a machine that exits or crashes', async () => {
    const release = await makeRelease({ 'crash.mjs': `throw new Error('boom');` });
    const plain = specFor(release, 'exit 3');
    const h1 = await driver.start(plain);
    await waitFor('exit 3', async () => (await driver.inspect(h1)).state === 'exited');
    assert.deepEqual(await driver.inspect(h1), { state: 'exited', exitCode: 3, signal: null });
    assert.ok(exits.some((e) => e.machineId === plain.machineId && e.exitCode === 3));

    const crash = specFor(release, 'exec node crash.mjs');
    const h2 = await driver.start(crash);
    await waitFor('the crash', () => exits.find((e) => e.machineId === crash.machineId));
    assert.deepEqual(await driver.inspect(h2), { state: 'exited', exitCode: 1, signal: null });
    assert.match(await readFile(h2.logPath, 'utf8'), /Error: boom/);

    const killed = specFor(release, 'kill -KILL $$');
    const h3 = await driver.start(killed);
    await waitFor('the kill', () => exits.find((e) => e.machineId === killed.machineId));
    assert.deepEqual(await driver.inspect(h3), { state: 'exited', exitCode: null, signal: 'SIGKILL' });
  });

  test('when the main process exits, what it left running in its group is killed', async () => {
    const release = await makeRelease({});
    const spec = specFor(
      release,
      'sleep 300 & echo $! > child.pid; while [ ! -e go ]; do sleep 0.05; done; exit 0',
    );
    const handle = await driver.start(spec);
    const childPidFile = join(machinesDir, spec.machineId, 'app', 'child.pid');
    const inMachine = await waitFor('the child pid', async () =>
      existsSync(childPidFile) ? Number(await readFile(childPidFile, 'utf8')) || undefined : undefined,
    );
    const grandchild = hostPid(handle.pid, inMachine);
    writeFileSync(join(machinesDir, spec.machineId, 'app', 'go'), '');
    await waitFor('the exit', () => exits.find((e) => e.machineId === spec.machineId));
    assert.deepEqual(await driver.inspect(handle), { state: 'exited', exitCode: 0, signal: null });
    await waitFor('the child to be killed', () => !alive(grandchild));
  });

  test('a new driver on the same machinesDir adopts a running machine', async () => {
    const handle = await driver.start(specFor(serverRelease, 'exec node server.mjs'));
    await serving(handle);

    const restarted = new ProcessDriver({ machinesDir });
    const adoptedExits: string[] = [];
    restarted.onExit((id) => adoptedExits.push(id));
    // Round-trip through JSON, as the store does.
    const stored = JSON.parse(JSON.stringify(handle)) as ProcessHandle;
    assert.deepEqual(await restarted.inspect(stored), { state: 'running' });
    await restarted.stop(stored, { signal: 'SIGTERM', timeoutMs: 2_000 });
    assert.equal(alive(handle.pid), false);
    assert.notEqual((await restarted.inspect(stored)).state, 'running');
    // Only the driver that spawned a machine hears of its exit.
    assert.deepEqual(adoptedExits, []);
  });

  test('a handle whose start time does not match is never signalled', async () => {
    const handle = await driver.start(specFor(serverRelease, 'exec node server.mjs'));
    await serving(handle);
    const impostor: MachineHandle = { ...handle, startTime: String(Number(handle.startTime) + 1) };

    const other = new ProcessDriver({ machinesDir });
    assert.deepEqual(await other.inspect(impostor), { state: 'missing' });
    assert.deepEqual(await driver.inspect(impostor), { state: 'missing' });
    await other.stop(impostor, { signal: 'SIGKILL', timeoutMs: 100 });
    await driver.stop(impostor, { signal: 'SIGKILL', timeoutMs: 100 });
    assert.deepEqual(await driver.inspect(handle), { state: 'running' });
    assert.equal((await httpGet(addr(handle))).status, 200);

    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
  });

  test('handles that cannot be ours: bad pids are missing, other drivers are refused', async () => {
    const logPath = join(machinesDir, 'nope', 'machine.log');
    for (const pid of [0, 1, -1, Number.NaN, 1.5]) {
      const handle: MachineHandle = { driver: 'process', pid, logPath, addresses: {} };
      assert.deepEqual(await driver.inspect(handle), { state: 'missing' }, String(pid));
      await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 10 });
    }
    const docker: MachineHandle = {
      driver: 'docker',
      containerId: 'abc',
      containerName: 'x',
      addresses: {},
      published: {},
    };
    await assert.rejects(driver.inspect(docker), { code: 'internal' });
  });

  test('destroy removes the machine directory, and only a machine directory', async () => {
    const spec = specFor(serverRelease, 'exec node server.mjs');
    const handle = await driver.start(spec);
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
    await driver.destroy(handle);
    assert.equal(existsSync(join(machinesDir, spec.machineId)), false);
    await driver.destroy(handle);

    for (const logPath of [join(root, 'machine.log'), join(machinesDir, 'machine.log'), '/etc/passwd']) {
      await assert.rejects(driver.destroy({ ...handle, logPath }), { code: 'internal' }, logPath);
    }
    assert.ok(existsSync(machinesDir));
  });

  test('an empty command is refused with a hint, before anything starts', async () => {
    const spec = specFor(serverRelease, '  ');
    await assert.rejects(driver.start(spec), {
      code: 'empty_command',
      hint: /\[processes\].*docker driver/s,
    });
    assert.equal(existsSync(join(machinesDir, spec.machineId)), false);
  });

  test('the base environment: a few host variables under the spec env, and PORT', async () => {
    const spec = specFor(serverRelease, 'exec node server.mjs', {
      env: { GREETING: 'berth', TZ: 'Europe/Paris' },
    });
    const handle = await driver.start(spec);
    await serving(handle);
    const env = JSON.parse((await httpGet(addr(handle), '/env')).body) as Record<string, string>;
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.TZ, 'Europe/Paris');
    assert.ok(env.HOME === process.env.HOME || env.HOME === '/tmp', env.HOME);
    assert.equal(env.PORT, addr(handle).split(':')[1]);
    await driver.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
  });

  test('tailLogs reads the last lines; followLogs hears new ones, or all of them from the start', async () => {
    const release = await makeRelease({});
    const spec = specFor(
      release,
      'echo one; echo two >&2; while [ ! -e go ]; do sleep 0.05; done; echo three',
    );
    const handle = await driver.start(spec);
    await waitFor('two lines', async () => (await driver.tailLogs(handle, 10)).length === 2);
    assert.deepEqual((await driver.tailLogs(handle, 10)).sort(), ['one', 'two']);
    assert.equal((await driver.tailLogs(handle, 1)).length, 1);

    const stop = new AbortController();
    const later: string[] = [];
    const all: string[] = [];
    const following = Promise.all([
      driver.followLogs(handle, (line) => later.push(line), stop.signal),
      driver.followLogs(handle, (line) => all.push(line), stop.signal, { fromStart: true }),
    ]);
    await waitFor('the first lines from the start', () => all.length === 2);
    writeFileSync(join(machinesDir, spec.machineId, 'app', 'go'), '');
    await waitFor('the new line', () => later.includes('three') && all.includes('three'));
    stop.abort();
    await following;
    assert.deepEqual(later, ['three']);
    assert.deepEqual(all.sort(), ['one', 'three', 'two']);
  });

  test('releases: prepared from an artifact, built, their commands found, kept or pruned', async () => {
    const home = join(root, 'prepare-home');
    const own = new ProcessDriver({ machinesDir: join(home, 'machines') });
    const source = await makeRelease({
      'package.json': JSON.stringify({ scripts: { start: 'node server.mjs' } }),
      'server.mjs': SERVER,
    });
    const packed = await packDirectory(source);
    const artifactPath = packed.path;
    const config = loadConfigText(
      '[build]\ncommand = "echo built > built.txt; echo done"\n',
      'berth.toml',
    ).config!;
    const progress: string[] = [];
    const request = {
      app: 'demo',
      artifactPath,
      artifactDigest: packed.digest,
      build: config.build,
      env: { BERTH_APP: 'demo' },
      maxUnpackedBytes: 10_000_000,
      timeoutMs: 60_000,
      onProgress: (event: { kind: string; line: string }) => progress.push(`${event.kind}: ${event.line}`),
    };
    const v1 = await own.prepareRelease({ ...request, releaseVersion: 1 });
    assert.deepEqual(v1, { driver: 'process', dir: join(home, 'releases', 'demo', 'v1') });
    assert.equal(readFileSync(join(v1.dir, 'built.txt'), 'utf8'), 'built\n');
    assert.ok(progress.some((line) => /^step: unpacked sha256:/.test(line)));
    assert.ok(progress.includes('output: done'));
    assert.deepEqual(await own.defaultCommands(config, v1), { app: 'npm start' });

    const failing = loadConfigText('[build]\ncommand = "exit 4"\n', 'berth.toml').config!;
    await assert.rejects(own.prepareRelease({ ...request, build: failing.build, releaseVersion: 2 }), {
      code: 'build_failed',
      message: /exited with code 4/,
    });
    const oneOff = await own.prepareRelease({ ...request, releaseVersion: 1, oneOff: true });
    assert.ok(existsSync(join(oneOff.driver === 'process' ? oneOff.dir : '', 'server.mjs')));
    assert.equal(existsSync(join(oneOff.driver === 'process' ? oneOff.dir : '', 'built.txt')), false);

    assert.equal(await own.releaseAvailable(v1), true);
    await own.pruneReleases('demo', [v1]);
    assert.equal(await own.releaseAvailable(v1), true);
    assert.equal(await own.releaseAvailable(oneOff), false);
    assert.equal(existsSync(join(home, 'releases', 'demo', 'v2')), false);
    await own.pruneReleases('demo', []);
    assert.equal(await own.releaseAvailable(v1), false);
    assert.equal(existsSync(join(home, 'releases', 'demo')), false);
    rmSync(artifactPath, { force: true });
  });

  test('volumes: an id maps to <home>/volumes/<id>, made on first use and removed for good', async () => {
    const home = join(root, 'volume-home');
    const own = new ProcessDriver({ machinesDir: join(home, 'machines') });
    const id = 'vol_0123456789abcdef';
    await own.createVolume(id);
    assert.equal(own.volumeLocation(id), join(home, 'volumes', id));
    writeFileSync(join(home, 'volumes', id, 'data'), 'kept');
    await own.createVolume(id);
    assert.equal(readFileSync(join(home, 'volumes', id, 'data'), 'utf8'), 'kept');
    assert.ok((await own.volumeUsage(id)) > 0);
    await own.removeVolume(id);
    assert.equal(existsSync(join(home, 'volumes', id)), false);
    await assert.rejects(own.createVolume('../escape'), { code: 'internal' });
  });

  test('start rejects a machine id that cannot name a directory', async () => {
    for (const machineId of ['..', '../x', 'a/b', '', '.hidden']) {
      await assert.rejects(driver.start(specFor(serverRelease, 'true', { machineId })), { code: 'internal' });
    }
  });

  test('a machine outlives its daemon being SIGKILLed, and the next daemon stops it', async () => {
    const script = join(root, 'daemon.mjs');
    await writeFile(
      script,
      `const { ProcessDriver } = await import(process.argv[2]);
const driver = new ProcessDriver({ machinesDir: process.argv[3] });
const handle = await driver.start(JSON.parse(process.argv[4]));
process.stdout.write(JSON.stringify(handle) + '\\n');
setInterval(() => {}, 1000);
`,
    );
    const spec = specFor(serverRelease, 'exec node server.mjs');
    const daemon = spawn(process.execPath, [script, driverModule, machinesDir, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    extraPids.push(daemon.pid!);
    const daemonExit = new Promise((resolve) => daemon.once('exit', resolve));
    let out = '';
    daemon.stdout.setEncoding('utf8');
    daemon.stdout.on('data', (chunk: string) => (out += chunk));
    const handle = await waitFor('the handle', () =>
      out.includes('\n') ? (JSON.parse(out.split('\n')[0]!) as ProcessHandle) : undefined,
    );
    assert.equal(readProcStat(handle.pid)?.ppid, daemon.pid);
    await serving(handle);

    process.kill(daemon.pid!, 'SIGKILL');
    await daemonExit;
    // Still its own, now orphaned, process: same pid, same start time, still serving.
    assert.notEqual(readProcStat(handle.pid)?.ppid, daemon.pid);
    assert.equal((await httpGet(addr(handle))).body, 'hello from berth');

    const next = new ProcessDriver({ machinesDir });
    assert.deepEqual(await next.inspect(handle), { state: 'running' });
    await next.stop(handle, { signal: 'SIGTERM', timeoutMs: 2_000 });
    assert.equal(alive(handle.pid), false);
    const state = await next.inspect(handle);
    assert.notEqual(state.state, 'running');
    await assert.rejects(httpGet(addr(handle)));
  });
});
