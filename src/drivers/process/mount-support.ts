// Whether this host can give a process-driver machine its own mount and PID namespaces: the
// sandbox that hides the daemon's home, keeps every process the machine starts inside it, and
// shows each volume at its destination. As root, each app also gets a user of its own; not as
// root, a user namespace may still allow the namespaces (the machine then keeps the daemon's
// user). The probe's findings come in; the verdict, with the cause and the fix, goes out.

export interface MountProbe {
  platform: string;
  isRoot: boolean;
  /** Absolute path of unshare(1), when found. */
  unsharePath: string | undefined;
  /** Absolute path of setpriv(1), when found: it drops the machine's privileges. */
  setprivPath?: string | undefined;
  /** The trial sandbox (a user namespace when not root); absent when it was not attempted. */
  trial?: { ok: boolean; output: string };
}

export type MountSupport =
  | {
      ok: true;
      unsharePath: string;
      setprivPath: string;
      /** Not root: the namespaces live in a user namespace and machines keep the daemon's user. */
      userNamespace: boolean;
    }
  | { ok: false; cause: string; fix: string };

export function decideMountSupport(probe: MountProbe): MountSupport {
  if (probe.platform !== 'linux') {
    return {
      ok: false,
      cause: `mount namespaces exist only on Linux (this host runs ${probe.platform})`,
      fix: 'Run berth on Linux to use [mounts] with the process driver, or remove [mounts] from the config.',
    };
  }
  if (!probe.isRoot && !probe.trial?.ok) {
    const output = lastLine(probe.trial?.output ?? '');
    return {
      ok: false,
      cause: `the daemon does not run as root, and only root may create a mount namespace and bind-mount a volume${probe.trial ? ` (a user namespace was refused${output ? `: ${output}` : ''})` : ''}`,
      fix: 'Run `berth server` as root (or allow unprivileged user namespaces), or remove [mounts] from the config.',
    };
  }
  if (!probe.unsharePath || !probe.setprivPath) {
    const missing = probe.unsharePath ? 'setpriv(1)' : 'unshare(1)';
    return {
      ok: false,
      cause: `${missing} was not found on this host`,
      fix: 'Install util-linux (e.g. `apt-get install util-linux`), or remove [mounts] from the config.',
    };
  }
  if (probe.trial && !probe.trial.ok) {
    const output = lastLine(probe.trial.output);
    return {
      ok: false,
      cause: `a trial bind mount in a private mount namespace failed${output ? `: ${output}` : ''}`,
      fix: 'Give the daemon CAP_SYS_ADMIN (in a container: --privileged, or allow unshare/mount in its seccomp and AppArmor profiles), or remove [mounts] from the config.',
    };
  }
  return {
    ok: true,
    unsharePath: probe.unsharePath,
    setprivPath: probe.setprivPath,
    userNamespace: !probe.isRoot,
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
