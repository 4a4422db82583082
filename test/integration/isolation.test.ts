// Machines kept from the daemon and from each other, against a real daemon: a `machine run`
// and a deployed app try to read and write the daemon's keys, its database, another
// machine's tree and log and another app's volume, and fail; every process a machine starts
// (setsid, a double fork, nohup) goes with it on stop, destroy, scale-down and apps destroy;
// and the files the daemon keeps are private to it.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MachineInfo, ScaleResultInfo } from '../../src/sdk/types.js';
import { dirSharedWithMachines, eventually, processesWithMarker, TestDaemon } from '../helpers/daemon.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const ROOT_ONLY = 'needs root: machines get users of their own only when the daemon is root';

// Tries each path of TARGETS (JSON: { read: [...], write: [...] }) and says what happened.
const PROBE = `
import { readFileSync, writeFileSync } from 'node:fs';
export function probe(targets) {
  const attempt = (fn) => { try { fn(); return 'ok'; } catch (err) { return err.code ?? String(err); } };
  return {
    uid: process.getuid(),
    read: Object.fromEntries(targets.read.map((p) => [p, attempt(() => readFileSync(p))])),
    write: Object.fromEntries(targets.write.map((p) => [p, attempt(() => writeFileSync(p + '/pwned-by-a-machine', 'x'))])),
  };
}
`;

// Started with the machine, each child marked in its argv so the host can find it in /proc.
const CHILDREN = `
loop='while :; do sleep 1; done'
setsid sh -c "$loop" "$MARK-setsid" &
(sh -c "$loop" "$MARK-double" &) &
nohup setsid sh -c "$loop" "$MARK-nohup" >/dev/null 2>&1 &
`;

const SERVER = `
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { probe } from './probe.js';
if (process.env.SPAWN_CHILDREN) {
  execFileSync('sh', ['children.sh'], {
    env: { ...process.env, MARK: 'berth-iso-' + process.env.BERTH_MACHINE_ID },
    stdio: 'ignore',
  });
}
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/healthz') return res.end('ok');
  if (url.pathname === '/probe') return res.end(JSON.stringify(probe(JSON.parse(url.searchParams.get('targets')))));
  if (url.pathname === '/write') {
    writeFileSync(process.env.DATA_DIR + '/blob.txt', 'kept by ' + process.env.BERTH_APP);
    return res.end('written');
  }
  res.end('hello');
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

const PROBE_MAIN = `
import { probe } from './probe.js';
console.log('PROBE ' + JSON.stringify(probe(JSON.parse(process.env.TARGETS))));
setInterval(() => {}, 60_000);
`;

let daemon: TestDaemon;
let work: string;

function writeApp(app: string, o: { mounts?: boolean; children?: boolean } = {}): string {
  const dir = join(work, app);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'probe.js'), PROBE);
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'probe-main.js'), PROBE_MAIN);
  writeFileSync(join(dir, 'children.sh'), CHILDREN);
  const lines = [
    `app = "${app}"`,
    'kill_signal = "SIGTERM"',
    'kill_timeout = "3s"',
    '[env]',
    'DATA_DIR = "/data"',
    ...(o.children ? ['SPAWN_CHILDREN = "1"'] : []),
    '[processes]',
    'app = "node server.js"',
    ...(o.mounts ? ['[mounts]', 'source = "data"', 'destination = "/data"'] : []),
    '[http_service]',
    'internal_port = 8080',
    '[[http_service.checks]]',
    'path = "/healthz"',
    'interval = "1s"',
    'timeout = "1s"',
    'grace_period = "0s"',
  ];
  writeFileSync(join(dir, 'berth.toml'), lines.join('\n') + '\n');
  return dir;
}

function volumeDirOf(app: string): string {
  const db = new Database(join(daemon.home, 'berth.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT id FROM volumes WHERE app = ?').get(app) as { id: string };
    return join(daemon.home, 'volumes', row.id);
  } finally {
    db.close();
  }
}

before(async () => {
  work = dirSharedWithMachines('berth-iso-');
  daemon = await TestDaemon.start();
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

function skipUnlessRoot(t: TestContext): boolean {
  if (isRoot) return false;
  t.skip(ROOT_ONLY);
  return true;
}

let targets: { read: string[]; write: string[] };

test('deployed apps run as users of their own, and the deploy does not warn', async (t) => {
  if (skipUnlessRoot(t)) return;
  // A secret makes master.key exist, so there is one to try to read.
  assert.equal((await daemon.cli(['apps', 'create', 'alpha'])).code, 0);
  assert.equal((await daemon.cli(['secrets', 'set', 'TOKEN=s3cr3t', '--stage', '-a', 'alpha'])).code, 0);
  const out = await daemon.deploy(writeApp('alpha', { mounts: true }));
  // A hostname makes the local CA and a certificate key exist.
  const cert = await daemon.cli(['certs', 'add', 'alpha.example.test', '-a', 'alpha']);
  assert.equal(cert.code, 0, cert.stdout + cert.stderr);
  assert.doesNotMatch(out, /share the daemon's user/);
  await daemon.deploy(writeApp('beta', { mounts: true }));
  assert.equal((await daemon.proxied('beta', '/write')).body, 'written');
  assert.match(daemon.daemonLog(), /process driver: machines run as a user of their own per app/);

  const [alpha] = await daemon.machines('alpha');
  const [beta] = await daemon.machines('beta');
  const home = daemon.home;
  const betaVolume = volumeDirOf('beta');
  targets = {
    read: [
      join(home, 'credentials'),
      join(home, 'master.key'),
      join(home, 'ca', 'root.key'),
      join(home, 'certs', 'alpha.example.test.key'),
      join(home, 'berth.db'),
      join(home, 'daemon.log'),
      join(home, 'server.json'),
      join(home, 'machines', beta!.id, 'app', 'server.js'),
      join(home, 'machines', beta!.id, 'machine.log'),
      join(home, 'machines', alpha!.id, 'machine.log'),
      join(betaVolume, 'blob.txt'),
      `/proc/1/root${home}/credentials`,
      '../../../credentials',
    ],
    write: [home, join(home, 'machines'), join(home, 'machines', beta!.id, 'app'), betaVolume],
  };
  // Each exists on the host: a failure below is the sandbox's doing, not a wrong path.
  for (const path of [...targets.read, ...targets.write].filter((p) => p.startsWith(home))) {
    assert.ok(existsSync(path), path);
  }
});

function assertAllRefused(result: {
  uid: number;
  read: Record<string, string>;
  write: Record<string, string>;
}): void {
  for (const [path, outcome] of Object.entries(result.read)) {
    assert.notEqual(outcome, 'ok', `a machine read ${path}`);
  }
  for (const [path, outcome] of Object.entries(result.write)) {
    assert.notEqual(outcome, 'ok', `a machine wrote into ${path}`);
  }
}

test("a deployed app cannot read or write the daemon's home, another machine or another app's volume", async (t) => {
  if (skipUnlessRoot(t)) return;
  const probe = await daemon.proxied(
    'alpha',
    `/probe?targets=${encodeURIComponent(JSON.stringify({ ...targets, read: [...targets.read, 'server.js'], write: [...targets.write, '/data'] }))}`,
  );
  const result = JSON.parse(probe.body) as {
    uid: number;
    read: Record<string, string>;
    write: Record<string, string>;
  };
  // What is its own it can use: its tree and its volume.
  assert.equal(result.read['server.js'], 'ok');
  assert.equal(result.write['/data'], 'ok');
  delete result.read['server.js'];
  delete result.write['/data'];
  assertAllRefused(result);

  const beta = JSON.parse(
    (await daemon.proxied('beta', `/probe?targets=${encodeURIComponent('{"read":[],"write":[]}')}`)).body,
  ) as { uid: number };
  assert.ok(result.uid >= 61184 && result.uid <= 65519, `uid ${result.uid}`);
  assert.ok(beta.uid >= 61184 && beta.uid <= 65519 && beta.uid !== result.uid, 'each app has its own user');
});

test("a `machine run` cannot read or write the daemon's home, another machine or another app's volume", async (t) => {
  if (skipUnlessRoot(t)) return;
  const made = await daemon.cliJson<MachineInfo>([
    'machine',
    'run',
    '-a',
    'alpha',
    '--cmd',
    'node probe-main.js',
    '-e',
    `TARGETS=${JSON.stringify(targets)}`,
  ]);
  const line = await eventually(
    async () => {
      const logs = await daemon.cli(['logs', '-a', 'alpha', '--machine', made.id]);
      return logs.stdout.split('\n').find((l) => l.includes('PROBE ')) ?? '';
    },
    20_000,
    'the probe to report',
  );
  assertAllRefused(JSON.parse(line.slice(line.indexOf('PROBE ') + 6)));
  assert.equal((await daemon.cli(['machine', 'destroy', made.id, '--force', '-a', 'alpha'])).code, 0);
});

test('`machine run -e` values are sealed in berth.db and gone once the machine is destroyed', async () => {
  if (!existsSync(join(daemon.home, 'berth.db'))) assert.fail('no database');
  const plain = `plain-${randomBytes(8).toString('hex')}`;
  if ((await daemon.cli(['apps', 'create', 'envy'])).code !== 0) assert.fail('apps create');
  await daemon.deploy(writeApp('envy'));
  const made = await daemon.cliJson<MachineInfo>([
    'machine',
    'run',
    '-a',
    'envy',
    '--cmd',
    'sleep 1000',
    '-e',
    `API_KEY=${plain}`,
  ]);
  const stored = () => {
    const db = new Database(join(daemon.home, 'berth.db'), { readonly: true });
    try {
      return db.prepare('SELECT run_config_json FROM machines WHERE id = ?').get(made.id) as {
        run_config_json: string;
      };
    } finally {
      db.close();
    }
  };
  const raw = () =>
    readdirSync(daemon.home)
      .filter((f) => f.startsWith('berth.db'))
      .map((f) => readFileSync(join(daemon.home, f)).toString('latin1'))
      .join('');
  const config = JSON.parse(stored().run_config_json) as { env: Record<string, string> };
  assert.match(config.env.API_KEY ?? '', /^v1:/);
  assert.ok(!raw().includes(plain), 'the value is not in berth.db or its WAL');
  const status = await daemon.cli(['machine', 'status', made.id, '-a', 'envy']);
  assert.match(status.stdout, /API_KEY/);
  assert.ok(!status.stdout.includes(plain));

  assert.equal((await daemon.cli(['machine', 'destroy', made.id, '--force', '-a', 'envy'])).code, 0);
  assert.deepEqual((JSON.parse(stored().run_config_json) as { env: object }).env, {});
});

/** Waits until the children a machine started with this marker are all running. */
async function childrenRunning(marker: string): Promise<void> {
  await eventually(() => processesWithMarker(marker).length >= 3, 20_000, `the children marked ${marker}`);
}

async function childrenGone(marker: string, after: string): Promise<void> {
  await eventually(
    () => processesWithMarker(marker).length === 0,
    10_000,
    `no ${marker} left after ${after}`,
  );
}

test('children started with setsid, a double fork or nohup go with `machine stop` and `machine destroy`', async (t) => {
  if (skipUnlessRoot(t)) return;
  const mark = `berth-iso-run-${randomBytes(4).toString('hex')}`;
  const made = await daemon.cliJson<MachineInfo>([
    'machine',
    'run',
    '-a',
    'alpha',
    '--cmd',
    'sh children.sh; exec sleep 100000',
    '-e',
    `MARK=${mark}`,
  ]);
  await childrenRunning(mark);
  assert.equal((await daemon.cli(['machine', 'stop', made.id, '-a', 'alpha'])).code, 0);
  await childrenGone(mark, 'machine stop');

  assert.equal((await daemon.cli(['machine', 'start', made.id, '-a', 'alpha'])).code, 0);
  await childrenRunning(mark);
  assert.equal((await daemon.cli(['machine', 'destroy', made.id, '--force', '-a', 'alpha'])).code, 0);
  await childrenGone(mark, 'machine destroy');
});

test('children of a deployed app go with scale-down and with apps destroy', async (t) => {
  if (skipUnlessRoot(t)) return;
  await daemon.deploy(writeApp('gamma', { children: true }));
  const up = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '2', '-a', 'gamma']);
  assert.equal(up.to, 2);
  const ids = (await daemon.machines('gamma')).map((m) => m.id);
  assert.equal(ids.length, 2);
  for (const id of ids) await childrenRunning(`berth-iso-${id}`);

  const down = await daemon.cliJson<ScaleResultInfo>(['scale', 'count', '1', '-a', 'gamma']);
  const [removed] = down.removed;
  const kept = ids.find((id) => id !== removed)!;
  await childrenGone(`berth-iso-${removed}`, 'scale-down');
  assert.ok(processesWithMarker(`berth-iso-${kept}`).length >= 3, 'the kept machine keeps its children');

  assert.equal((await daemon.cli(['apps', 'destroy', 'gamma', '--yes'])).code, 0);
  await childrenGone(`berth-iso-${kept}`, 'apps destroy');
});

test('the home is 0700; the database, logs, keys and server files are 0600', async () => {
  const home = daemon.home;
  const mode = (path: string) => statSync(path).mode & 0o777;
  assert.equal(mode(home), 0o700);
  const files = [
    'berth.db',
    'berth.db-wal',
    'berth.db-shm',
    'credentials',
    'server.json',
    'daemon.log',
    'master.key',
  ]
    .map((f) => join(home, f))
    .filter((f) => existsSync(f));
  assert.ok(files.length >= 5, files.join(', '));
  for (const file of files) assert.equal(mode(file), 0o600, file);
  for (const dir of ['ca', 'certs'].filter((d) => existsSync(join(home, d)))) {
    for (const key of readdirSync(join(home, dir)).filter((f) => f.endsWith('.key'))) {
      assert.equal(mode(join(home, dir, key)), 0o600, key);
    }
  }
  for (const id of readdirSync(join(home, 'machines'))) {
    assert.equal(mode(join(home, 'machines', id)), 0o700, id);
    for (const file of ['machine.log', 'handle.json']) {
      if (existsSync(join(home, 'machines', id, file)))
        assert.equal(mode(join(home, 'machines', id, file)), 0o600);
    }
  }
});

test('a home others could enter is tightened to 0700 at start, and the log says so', async () => {
  const loose = await TestDaemon.start();
  try {
    await loose.terminate();
    const { chmodSync } = await import('node:fs');
    chmodSync(loose.home, 0o755);
    chmodSync(join(loose.home, 'berth.db'), 0o644);
    await loose.boot();
    assert.equal(statSync(loose.home).mode & 0o777, 0o700);
    assert.equal(statSync(join(loose.home, 'berth.db')).mode & 0o777, 0o600);
    assert.match(loose.daemonLog(), /was mode 0755; it holds berth's keys and state, now 0700/);
  } finally {
    await loose.destroy();
  }
});
