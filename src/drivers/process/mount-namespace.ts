// Volumes for the process driver: the machine runs in a private mount namespace (unshare as
// root) where each volume's directory is bind-mounted at its destination. unshare execs the
// shell in place and the shell execs the machine's command, so the pid Node spawned stays the
// process group leader with the same start time, and adoption after a daemon restart works
// unchanged. The mounts live as long as the namespace, which dies with the machine's last
// process; nothing leaks to the host's mount table. A missing mount point is created on the
// host (an empty directory), as Docker does for a bind mount's target.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { decideMountSupport, type MountSupport } from '../../core/volumes/mount-support.js';
import type { VolumeMount } from '../driver.js';

/** Exit status of the wrapper when a bind mount fails, so the log line explains the exit. */
export const MOUNT_FAILED_EXIT = 97;

const WRAPPER = `cmd=$1; shift
while [ $# -gt 0 ]; do
  if ! mkdir -p -- "$2" || ! mount --bind -- "$1" "$2"; then
    echo "berth: could not mount volume $1 at $2" >&2
    exit ${MOUNT_FAILED_EXIT}
  fi
  shift 2
done
exec /bin/sh -c "$cmd"`;

/** The program and arguments that run `command` with the volumes mounted. */
export function wrapWithMounts(
  unsharePath: string,
  command: string,
  mounts: VolumeMount[],
): { file: string; args: string[] } {
  const pairs = mounts.flatMap((m) => [m.source, m.destination]);
  return {
    file: unsharePath,
    args: [
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      WRAPPER,
      'berth-mount',
      command,
      ...pairs,
    ],
  };
}

export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Looks at the host once: root, unshare, and a trial bind mount in a private namespace. */
export function probeMountSupport(): MountSupport {
  const isRoot = process.getuid?.() === 0;
  const unsharePath = findExecutable('unshare');
  if (process.platform !== 'linux' || !isRoot || !unsharePath) {
    return decideMountSupport({ platform: process.platform, isRoot, unsharePath });
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-mount-probe-'));
  try {
    mkdirSync(join(dir, 'from'));
    const { file, args } = wrapWithMounts(unsharePath, 'test -e /proc/self', [
      { source: join(dir, 'from'), destination: join(dir, 'to') },
    ]);
    const result = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
    const output = `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    return decideMountSupport({
      platform: process.platform,
      isRoot,
      unsharePath,
      trial: { ok: result.status === 0, output },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
