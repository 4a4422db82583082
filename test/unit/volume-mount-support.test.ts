import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideMountSupport, type MountProbe } from '../../src/core/volumes/mount-support.js';
import { wrapWithMounts } from '../../src/drivers/process/mount-namespace.js';

const linuxRoot: MountProbe = { platform: 'linux', isRoot: true, unsharePath: '/usr/bin/unshare' };

test('mount support: the verdict names the cause and the fix for each missing piece', () => {
  const cases: Array<{ probe: MountProbe; ok: boolean; cause?: RegExp; fix?: RegExp }> = [
    { probe: linuxRoot, ok: true },
    { probe: { ...linuxRoot, trial: { ok: true, output: '' } }, ok: true },
    { probe: { ...linuxRoot, platform: 'darwin' }, ok: false, cause: /only on Linux.*darwin/, fix: /Linux/ },
    { probe: { ...linuxRoot, isRoot: false }, ok: false, cause: /not run as root/, fix: /as root/ },
    { probe: { ...linuxRoot, unsharePath: undefined }, ok: false, cause: /unshare\(1\)/, fix: /util-linux/ },
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

test('the wrapper: unshare execs a shell that bind-mounts each volume, then execs the command', () => {
  const { file, args } = wrapWithMounts('/usr/bin/unshare', 'node server.js', [
    { source: '/home/berth/volumes/vol_1', destination: '/data' },
    { source: '/home/berth/volumes/vol 2', destination: "/it's here" },
  ]);
  assert.equal(file, '/usr/bin/unshare');
  // No --fork: the spawned pid stays the group leader.
  assert.deepEqual(args.slice(0, 6), ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c']);
  assert.ok(!args.includes('--fork'));
  // Paths and the command are arguments, never spliced into the script.
  assert.deepEqual(args.slice(7), [
    'berth-mount',
    'node server.js',
    '/home/berth/volumes/vol_1',
    '/data',
    '/home/berth/volumes/vol 2',
    "/it's here",
  ]);
  assert.match(args[6]!, /mount --bind -- "\$1" "\$2"/);
  assert.match(args[6]!, /exec \/bin\/sh -c "\$cmd"/);
});
