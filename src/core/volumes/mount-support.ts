// Whether this host can show a machine its volume at the mount's destination: the process
// driver needs a private mount namespace (unshare as root) and a bind mount. The probe's
// findings come in; the verdict, with the cause and the fix, goes out.

export interface MountProbe {
  platform: string;
  isRoot: boolean;
  /** Absolute path of unshare(1), when found. */
  unsharePath: string | undefined;
  /** The trial bind mount in a private namespace; absent when it was not attempted. */
  trial?: { ok: boolean; output: string };
}

export type MountSupport = { ok: true; unsharePath: string } | { ok: false; cause: string; fix: string };

export function decideMountSupport(probe: MountProbe): MountSupport {
  if (probe.platform !== 'linux') {
    return {
      ok: false,
      cause: `mount namespaces exist only on Linux (this host runs ${probe.platform})`,
      fix: 'Run berth on Linux to use [mounts] with the process driver, or remove [mounts] from the config.',
    };
  }
  if (!probe.isRoot) {
    return {
      ok: false,
      cause:
        'the daemon does not run as root, and only root may create a mount namespace and bind-mount a volume',
      fix: 'Run `berth server` as root, or remove [mounts] from the config.',
    };
  }
  if (!probe.unsharePath) {
    return {
      ok: false,
      cause: 'unshare(1) was not found on this host',
      fix: 'Install util-linux (e.g. `apt-get install util-linux`), or remove [mounts] from the config.',
    };
  }
  if (probe.trial && !probe.trial.ok) {
    const output = probe.trial.output.trim().split('\n').at(-1) ?? '';
    return {
      ok: false,
      cause: `a trial bind mount in a private mount namespace failed${output ? `: ${output}` : ''}`,
      fix: 'Give the daemon CAP_SYS_ADMIN (in a container: --privileged, or allow unshare/mount in its seccomp and AppArmor profiles), or remove [mounts] from the config.',
    };
  }
  return { ok: true, unsharePath: probe.unsharePath };
}
