// What the Engine is asked to create for one machine, and how its answers read back: pure
// functions of the spec and of inspect's JSON, so they are tested without an Engine.
import type Docker from 'dockerode';
import { constants as osConstants } from 'node:os';
import type { MachineSpec, ObservedState } from '../driver.js';
import { containerCmd } from './container-command.js';
import { LABEL, volumeName } from './names.js';

const LOG_MAX_SIZE = '10m';
const LOG_MAX_FILES = '3';

export function containerConfig(
  spec: MachineSpec,
  ids: { home: string; name: string; image: string; hostCpus?: number },
): Docker.ContainerCreateOptions {
  const env = { ...spec.env };
  // The app listens on its internal port inside its own network namespace, as on fly.
  if (spec.ports[0] !== undefined) env.PORT = String(spec.ports[0]);
  const cmd = containerCmd(spec.command);
  const exposed = Object.fromEntries(spec.ports.map((port) => [`${port}/tcp`, {}]));
  // HostPort '' lets the Engine choose a free port on this host's loopback, for people: the
  // proxy and health checks reach the container's bridge address (see container-addresses.ts).
  const bindings = Object.fromEntries(
    spec.ports.map((port) => [`${port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]]),
  );
  const limits = spec.limits ?? {};
  // A fly.toml written for `cpus = 8` still runs on a smaller host: the Engine refuses a CPU
  // limit above the host's CPUs, and all of them is what the app would get without one.
  const cpus =
    limits.cpus !== undefined && ids.hostCpus !== undefined && ids.hostCpus > 0
      ? Math.min(limits.cpus, ids.hostCpus)
      : limits.cpus;
  return {
    name: ids.name,
    Image: ids.image,
    ...(cmd !== undefined ? { Cmd: cmd } : {}),
    // Secrets travel here only: never in a label, never logged. Whoever can reach the Engine
    // can read them with `docker inspect`, as root can read /proc/<pid>/environ of a process
    // machine; the Engine's socket is root's to give.
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    Labels: {
      [LABEL.managed]: 'true',
      [LABEL.home]: ids.home,
      [LABEL.app]: spec.app,
      [LABEL.release]: String(spec.releaseVersion),
      [LABEL.machine]: spec.machineId,
      [LABEL.group]: spec.processGroup,
    },
    ExposedPorts: exposed,
    // What `docker stop` sends too, should an operator stop the container by hand.
    StopSignal: spec.killSignal,
    StopTimeout: Math.ceil(spec.killTimeoutMs / 1000),
    Tty: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    OpenStdin: false,
    HostConfig: {
      PortBindings: bindings,
      // berth's supervisor restarts machines, with its backoff, events and crash-loop report.
      RestartPolicy: { Name: 'no' },
      // An init as PID 1 forwards the stop signal to the command and reaps orphans, as fly's
      // init does; without it a PID 1 that never installed a handler ignores SIGTERM.
      Init: true,
      ...(limits.memoryMb !== undefined ? { Memory: Math.round(limits.memoryMb * 1024 * 1024) } : {}),
      ...(cpus !== undefined ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
      Mounts: (spec.mounts ?? []).map((mount) => ({
        Type: 'volume' as const,
        Source: volumeName(mount.volumeId),
        Target: mount.destination,
      })),
      LogConfig: { Type: 'json-file', Config: { 'max-size': LOG_MAX_SIZE, 'max-file': LOG_MAX_FILES } },
    },
  };
}

export interface ContainerStateJson {
  Status?: string;
  Running?: boolean;
  ExitCode?: number;
}

export function observedState(state: ContainerStateJson | undefined): ObservedState {
  if (!state) return { state: 'missing' };
  if (state.Running || state.Status === 'paused' || state.Status === 'restarting')
    return { state: 'running' };
  // Created but never started: nothing ran, so there is no exit code.
  if (state.Status === 'created') return { state: 'exited', exitCode: null, signal: null };
  return { state: 'exited', ...exitOfContainer(state.ExitCode ?? null) };
}

/**
 * The container's init exits with 128+N when signal N killed the command, which is reported as
 * that signal, as the process driver reports its sandbox's init.
 */
export function exitOfContainer(exitCode: number | null): { exitCode: number | null; signal: string | null } {
  if (exitCode === null || exitCode <= 128) return { exitCode, signal: null };
  const name = Object.entries(osConstants.signals).find(([, n]) => n === exitCode - 128)?.[0];
  return name ? { exitCode: null, signal: name } : { exitCode, signal: null };
}
