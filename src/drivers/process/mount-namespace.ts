// The process driver's sandbox: every machine runs in mount and PID namespaces of its own.
//
// - The daemon's home (credentials, master key, CA keys, berth.db, every machine's tree, log
//   and volume) is covered by an empty tmpfs; only the machine's own tree is bind-mounted
//   back, at the same path, from a descriptor opened before the cover. Volumes come back the
//   same way, at their destinations. /tmp and /dev/shm are private, as in a container.
// - A PID namespace rather than a cgroup keeps the machine's processes together: it needs
//   nothing from the host's cgroup setup (v1 hosts have no cgroup.kill), and when its pid 1
//   exits the kernel kills everything else in it, including what a `setsid`, a double fork or
//   a daemon started. A process group alone cannot: setsid leaves it.
// - As root, the command runs as the app's own unprivileged user; not as root, the namespaces
//   live in a user namespace and the command keeps the daemon's user. Either way it has no
//   capabilities, so it cannot unmount the cover.
//
// unshare --fork is the pid Node spawns: it stays the process group leader with a stable start
// time (adoption after a daemon restart is unchanged), waits for the namespace's pid 1 and
// exits with its status; --kill-child takes the namespace down if unshare itself is killed.
// pid 1 is the small shell init below: the kernel delivers it only signals it handles, so it
// traps the stop signals and forwards them to every process of the machine, waits for the
// command (and, once stopping, for the rest to drain) and exits with the command's status
// (128+N when a signal N killed it).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { decideMountSupport, type MountSupport } from './mount-support.js';

/** A volume's host directory and where the machine sees it. */
export interface HostMount {
  source: string;
  destination: string;
}

/** Exit status of the sandbox when it cannot be set up, so the log line explains the exit. */
export const MOUNT_FAILED_EXIT = 97;

/** Signals the init forwards to the machine; the machine's kill_signal is added to them. */
const FORWARDED_SIGNALS = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'TERM', 'WINCH'];

// Arguments: cover dir, tree, setpriv, uid ('' keeps the user), signals, command, then
// source/destination pairs. Paths and the command are arguments, never spliced into the script.
const INIT = `sys=/usr/sbin:/usr/bin:/sbin:/bin
cover=$1 app=$2 setpriv=$3 uid=$4 signals=$5 cmd=$6; shift 6
fail() { echo "berth: $*" >&2; exit ${MOUNT_FAILED_EXIT}; }
exec 3<"$app" || fail "could not open the machine's tree"
n=4 fds=
while [ $# -gt 0 ]; do
  [ $n -le 9 ] || fail "too many volumes"
  PATH=$sys mkdir -p -- "$2" 2>/dev/null
  eval "exec $n<\\"\\$1\\"" || fail "could not mount volume $1 at $2"
  eval "dest_$n=\\$2"; fds="$fds $n"; n=$((n + 1)); shift 2
done
PATH=$sys mount -t tmpfs -o mode=1777,nosuid,nodev berth-tmp /tmp || fail "could not give the machine its own /tmp"
if [ -d /dev/shm ]; then PATH=$sys mount -t tmpfs -o mode=1777,nosuid,nodev berth-shm /dev/shm || fail "could not give the machine its own /dev/shm"; fi
PATH=$sys mkdir -p -- "$cover" && PATH=$sys mount -t tmpfs -o mode=0755,size=64k berth-hidden "$cover" || fail "could not hide $cover"
PATH=$sys mkdir -p -- "$app" && PATH=$sys mount --no-canonicalize --bind /proc/self/fd/3 "$app" || fail "could not mount the machine's tree"
for fd in $fds; do
  eval "dest=\\$dest_$fd"
  PATH=$sys mkdir -p -- "$dest" && PATH=$sys mount --no-canonicalize --bind "/proc/self/fd/$fd" "$dest" || fail "could not mount volume at $dest"
  eval "exec $fd<&-"
done
exec 3<&-
cd "$app" || fail "could not enter the machine's tree"
stopping=
for s in $signals; do trap "stopping=1; kill -$s -1 2>/dev/null" "$s"; done
if [ -n "$uid" ]; then set -- --reuid="$uid" --regid="$uid" --clear-groups; else set --; fi
# env --default-signal: a background job starts with SIGINT and SIGQUIT ignored; the app must not.
envcmd=/usr/bin/env; [ -x "$envcmd" ] || envcmd=/bin/env
"$setpriv" "$@" --inh-caps=-all --bounding-set=-all --no-new-privs -- "$envcmd" --default-signal /bin/sh -c "$cmd" &
child=$!
while :; do
  wait "$child"; status=$?
  kill -0 "$child" 2>/dev/null || break
done
# Stopped: what the command started may still be draining, until the stop's deadline. Exited
# by itself: whatever it left running dies with this init, as in a container.
while [ -n "$stopping" ]; do
  others=
  for p in /proc/[0-9]*; do [ "$p" = /proc/1 ] || { others=1; break; }; done
  [ -n "$others" ] || break
  PATH=$sys sleep 0.05
done
exit "$status"`;

export interface SandboxOptions {
  support: Extract<MountSupport, { ok: true }>;
  /** Hidden from the machine: the daemon's home, or an ancestor the machine could not enter anyway. */
  cover: string;
  /** The machine's own tree, shown again at the same path. */
  appDir: string;
  /** The machine's user as root; undefined keeps the daemon's (user namespace). */
  uid: number | undefined;
  killSignal: string;
  command: string;
  mounts: HostMount[];
}

/** The program and arguments that run `command` in the machine's sandbox. */
export function sandboxCommand(options: SandboxOptions): { file: string; args: string[] } {
  const signals = [...new Set([...FORWARDED_SIGNALS, shortSignal(options.killSignal)])].filter((s) =>
    /^[A-Z][A-Z0-9]*$/.test(s),
  );
  const pairs = options.mounts.flatMap((m) => [m.source, m.destination]);
  return {
    file: options.support.unsharePath,
    args: [
      ...(options.support.userNamespace ? ['--user', '--map-root-user'] : []),
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
      INIT,
      'berth-init',
      options.cover,
      options.appDir,
      options.support.setprivPath,
      options.uid === undefined ? '' : String(options.uid),
      signals.join(' '),
      options.command,
      ...pairs,
    ],
  };
}

function shortSignal(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('SIG') ? upper.slice(3) : upper;
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

/**
 * Looks at the host once: root, unshare and setpriv, then a trial machine in a sandbox (in a
 * user namespace when not root) with a volume, run as the real thing would be.
 */
export function probeMountSupport(): MountSupport {
  const isRoot = process.getuid?.() === 0;
  const unsharePath = findExecutable('unshare');
  const setprivPath = findExecutable('setpriv');
  const found = { platform: process.platform, isRoot, unsharePath, setprivPath };
  const verdict = decideMountSupport({ ...found, isRoot: true });
  if (!verdict.ok) return isRoot ? verdict : decideMountSupport(found);
  const dir = mkdtempSync(join(tmpdir(), 'berth-sandbox-probe-'));
  try {
    mkdirSync(join(dir, 'home', 'app'), { recursive: true });
    mkdirSync(join(dir, 'from'));
    const { file, args } = sandboxCommand({
      support: { ...verdict, userNamespace: !isRoot },
      cover: join(dir, 'home'),
      appDir: join(dir, 'home', 'app'),
      uid: undefined,
      killSignal: 'SIGTERM',
      command: 'test -e /proc/self && test -d "$BERTH_PROBE_TO"',
      mounts: [{ source: join(dir, 'from'), destination: join(dir, 'to') }],
    });
    const result = spawnSync(file, args, {
      encoding: 'utf8',
      timeout: 10_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_PROBE_TO: join(dir, 'to') },
    });
    const output = `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    return decideMountSupport({ ...found, trial: { ok: result.status === 0, output } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
