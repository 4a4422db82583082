import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideMountSupport, type MountProbe } from '../../src/drivers/process/mount-support.js';
import { sandboxCommand } from '../../src/drivers/process/mount-namespace.js';

const linuxRoot: MountProbe = {
  platform: 'linux',
  isRoot: true,
  unsharePath: '/usr/bin/unshare',
  setprivPath: '/usr/bin/setpriv',
};

test('mount support: the verdict names the cause and the fix for each missing piece', () => {
  const cases: Array<{ probe: MountProbe; ok: boolean; cause?: RegExp; fix?: RegExp }> = [
    { probe: linuxRoot, ok: true },
    { probe: { ...linuxRoot, trial: { ok: true, output: '' } }, ok: true },
    { probe: { ...linuxRoot, platform: 'darwin' }, ok: false, cause: /only on Linux.*darwin/, fix: /Linux/ },
    { probe: { ...linuxRoot, isRoot: false }, ok: false, cause: /not run as root/, fix: /as root/ },
    { probe: { ...linuxRoot, unsharePath: undefined }, ok: false, cause: /unshare\(1\)/, fix: /util-linux/ },
    { probe: { ...linuxRoot, setprivPath: undefined }, ok: false, cause: /setpriv\(1\)/, fix: /util-linux/ },
    // Not root, but the kernel allows a user namespace: the sandbox works, as the daemon's user.
    { probe: { ...linuxRoot, isRoot: false, trial: { ok: true, output: '' } }, ok: true },
    {
      probe: {
        ...linuxRoot,
        isRoot: false,
        trial: { ok: false, output: 'unshare: Operation not permitted' },
      },
      ok: false,
      cause: /not run as root.*user namespace was refused: unshare: Operation not permitted/,
      fix: /as root/,
    },
    {
      probe: {
        ...linuxRoot,
        trial: { ok: false, output: 'unshare: unshare failed: Operation not permitted\n' },
      },
      ok: false,
      cause: /trial bind mount .* failed: unshare: unshare failed: Operation not permitted$/,
      fix: /CAP_SYS_ADMIN/,
    },
  ];
  for (const c of cases) {
    const verdict = decideMountSupport(c.probe);
    assert.equal(verdict.ok, c.ok, JSON.stringify(c.probe));
    if (verdict.ok) {
      assert.equal(verdict.unsharePath, '/usr/bin/unshare');
      assert.equal(verdict.userNamespace, !c.probe.isRoot);
    } else {
      assert.match(verdict.cause, c.cause!);
      assert.match(verdict.fix, c.fix!);
      assert.match(verdict.fix, /remove \[mounts\]/);
    }
  }
});

test('mount support: the first missing piece is the one reported', () => {
  const verdict = decideMountSupport({ platform: 'linux', isRoot: false, unsharePath: undefined });
  assert.ok(!verdict.ok && /root/.test(verdict.cause));
});

test('the sandbox: unshare forks an init in new mount and PID namespaces, with every path as an argument', () => {
  const support = {
    ok: true as const,
    unsharePath: '/usr/bin/unshare',
    setprivPath: '/usr/bin/setpriv',
    userNamespace: false,
  };
  const { file, args } = sandboxCommand({
    support,
    cover: '/home/berth',
    appDir: '/home/berth/machines/m1/app',
    uid: 61184,
    killSignal: 'SIGRTMIN',
    command: 'node server.js',
    mounts: [
      { source: '/home/berth/volumes/vol_1', destination: '/data' },
      { source: '/home/berth/volumes/vol 2', destination: "/it's here" },
    ],
  });
  assert.equal(file, '/usr/bin/unshare');
  // --fork: unshare stays the group leader Node spawned; the namespace's pid 1 is the init.
  assert.deepEqual(args.slice(0, 11), [
    '--mount',
    '--propagation',
    'private',
    '--pid',
    '--fork',
    '--mount-proc',
    '--kill-child=SIGKILL',
    '--',
    '/bin/sh',
    '-c',
    args[10],
  ]);
  // Paths and the command are arguments, never spliced into the script.
  assert.deepEqual(args.slice(11), [
    'berth-init',
    '/home/berth',
    '/home/berth/machines/m1/app',
    '/usr/bin/setpriv',
    '61184',
    'HUP INT QUIT USR1 USR2 TERM WINCH RTMIN',
    'node server.js',
    '/home/berth/volumes/vol_1',
    '/data',
    '/home/berth/volumes/vol 2',
    "/it's here",
  ]);
  const script = args[10]!;
  assert.match(script, /mount -t tmpfs -o mode=0755,size=64k berth-hidden "\$cover"/);
  assert.match(script, /mount --no-canonicalize --bind \/proc\/self\/fd\/3 "\$app"/);
  assert.match(script, /--reuid="\$uid" --regid="\$uid" --clear-groups/);
  assert.match(script, /--inh-caps=-all --bounding-set=-all --no-new-privs/);

  // Not root: a user namespace maps the daemon's user to root inside, and no uid is given.
  const userns = sandboxCommand({
    support: { ...support, userNamespace: true },
    cover: '/home/berth',
    appDir: '/home/berth/machines/m1/app',
    uid: undefined,
    killSignal: 'SIGTERM',
    command: 'true',
    mounts: [],
  });
  assert.deepEqual(userns.args.slice(0, 3), ['--user', '--map-root-user', '--mount']);
  assert.equal(userns.args[userns.args.indexOf('berth-init') + 4], '');
});
