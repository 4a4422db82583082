// Builds kept from the daemon as its machines are, against a real daemon: a `[build] command`
// tries to read the daemon's keys, its database and another app's machine and release trees,
// and to write into the home, and fails; it runs as the app's own user and writes the release
// tree the machines then serve; and a process it leaves behind with setsid does not outlive it.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from '../../src/sdk/types.js';
import { dirSharedWithMachines, eventually, processesWithMarker, TestDaemon } from '../helpers/daemon.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const ROOT_ONLY =
  'needs root: builds run as a user of their own and in a sandbox only when the daemon is root';

const SERVER = `
import http from 'node:http';
import { readFileSync } from 'node:fs';
http.createServer((req, res) => {
  if (req.url === '/built') return res.end(readFileSync('built.txt', 'utf8'));
  res.end('ok');
}).listen(Number(process.env.PORT));
`;

// Each target: READ refused|ok PATH or WRITE refused|ok DIR on the build's output; its tree
// gets built.txt (with the build's uid), which the machines serve.
const BUILD = `
for p in $READ_TARGETS; do
  if cat "$p" >/dev/null 2>&1; then echo "READ ok $p"; else echo "READ refused $p"; fi
done
for d in $WRITE_TARGETS; do
  if echo x > "$d/pwned-by-a-build" 2>/dev/null; then echo "WRITE ok $d"; else echo "WRITE refused $d"; fi
done
if [ -n "$MARK" ]; then
  setsid sh -c 'while :; do sleep 1; done' "$MARK" </dev/null >/dev/null 2>&1 &
  kill -0 $! && echo "SPAWNED $MARK"
fi
echo "built by uid $(id -u)" > built.txt
echo "BUILD uid $(id -u)"
mkdir -p "$HOME/.cache" && echo "BUILD home $HOME writable"
`;

let daemon: TestDaemon;
let work: string;

function writeApp(app: string, o: { build?: boolean; env?: Record<string, string> } = {}): string {
  const dir = join(work, app);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'build.sh'), BUILD);
  const lines = [
    `app = "${app}"`,
    ...(o.build ? ['[build]', 'command = "sh build.sh"'] : []),
    '[env]',
    ...Object.entries(o.env ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    '[processes]',
    'app = "node server.js"',
    '[http_service]',
    'internal_port = 8080',
  ];
  writeFileSync(join(dir, 'berth.toml'), lines.join('\n') + '\n');
  return dir;
}

before(async () => {
  work = dirSharedWithMachines('berth-build-iso-');
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

test("a build cannot read or write the daemon's home or another app's trees, and runs as the app's own user", async (t) => {
  if (skipUnlessRoot(t)) return;
  // A staged secret makes master.key exist, a certificate the local CA's key.
  assert.equal((await daemon.cli(['apps', 'create', 'other'])).code, 0);
  assert.equal((await daemon.cli(['secrets', 'set', 'TOKEN=s3cr3t', '--stage', '-a', 'other'])).code, 0);
  await daemon.deploy(writeApp('other'));
  const cert = await daemon.cli(['certs', 'add', 'other.example.test', '-a', 'other']);
  assert.equal(cert.code, 0, cert.stdout + cert.stderr);
  const [other] = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', 'other']);
  const home = daemon.home;
  const reads = [
    join(home, 'credentials'),
    join(home, 'master.key'),
    join(home, 'ca', 'root.key'),
    join(home, 'berth.db'),
    join(home, 'machines', other!.id, 'app', 'server.js'),
    join(home, 'releases', 'other', 'v1', 'server.js'),
    `/proc/1/root${home}/credentials`,
  ];
  const writes = [home, join(home, 'machines', other!.id, 'app'), join(home, 'releases', 'other', 'v1')];
  // Each exists on the host: a refusal below is the sandbox's doing, not a wrong path.
  for (const path of [...reads, ...writes].filter((p) => p.startsWith(home)))
    assert.ok(existsSync(path), path);

  const out = await daemon.deploy(
    writeApp('builder', {
      build: true,
      env: { READ_TARGETS: [...reads, 'build.sh'].join(' '), WRITE_TARGETS: writes.join(' ') },
    }),
  );
  // The control: the build reads its own tree.
  assert.match(out, /READ ok build\.sh\n/, out);
  for (const path of reads)
    assert.match(out, new RegExp(`READ refused ${escape(path)}\\n`), `${path}\n${out}`);
  for (const dir of writes)
    assert.match(out, new RegExp(`WRITE refused ${escape(dir)}\\n`), `${dir}\n${out}`);
  for (const dir of writes) assert.ok(!existsSync(join(dir, 'pwned-by-a-build')), dir);
  assert.doesNotMatch(out, /note: the build/);

  const uid = Number(/BUILD uid (\d+)/.exec(out)?.[1]);
  assert.ok(uid >= 61184 && uid <= 65519, `the build ran as uid ${uid}`);
  // The daemon's HOME is not the app user's: the build gets a writable one of its own.
  assert.match(out, /BUILD home \/tmp writable/);
  // What the build wrote into its tree is the release the machines serve.
  assert.equal((await daemon.proxied('builder', '/built')).body, `built by uid ${uid}\n`);
  // The release log keeps the build's output as the deploy streamed it.
  const log = await daemon.cli(['releases', 'show', 'v1', '-a', 'builder']);
  assert.match(log.stdout + log.stderr, new RegExp(`READ refused ${escape(join(home, 'master.key'))}`));
});

test('a process a build leaves behind with setsid does not outlive the build', async (t) => {
  if (skipUnlessRoot(t)) return;
  const mark = `berth-build-left-${randomBytes(4).toString('hex')}`;
  const out = await daemon.deploy(writeApp('leaver', { build: true, env: { MARK: mark } }));
  assert.match(out, new RegExp(`SPAWNED ${mark}`));
  await eventually(() => processesWithMarker(mark).length === 0, 10_000, `no ${mark} left after the build`);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
