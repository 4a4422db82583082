// `berth exec` and `berth console` on the process driver: a command joins a running machine's
// sandbox instead of starting one. nsenter enters the mount and PID namespaces of the machine's
// init (and its user namespace when the daemon is not root), setpriv drops to the machine's user
// and capabilities as the machine's own command was, and the environment is the one the
// machine's init was started with, read back from /proc: its env, secrets and PORT, as it has
// them, even when the app's secrets changed since. Without a sandbox the command runs as the
// daemon's user, in the machine's tree and environment.
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { BerthError } from '../../core/errors.js';
import type { ExecRequest, ExecSession } from '../driver.js';
import type { MountSupport } from './mount-support.js';
import { findExecutable } from './mount-namespace.js';
import { childInOwnPidNamespace } from './proc-stat.js';

export interface ExecTarget {
  /** The machine's process group leader (unshare in a sandbox, else its shell). */
  pid: number;
  /** The machine's tree, at the same path inside its sandbox. */
  appDir: string;
  support: MountSupport;
}

/** The program, arguments, directory and environment that run `command` inside the machine. */
export async function execLaunch(
  target: ExecTarget,
  command: string[],
): Promise<{ file: string; args: string[]; cwd: string; env: Record<string, string> }> {
  const { support } = target;
  const init = support.ok ? await sandboxReady(target.pid, target.appDir) : target.pid;
  if (init === undefined) {
    throw new BerthError(
      'machine_conflict',
      `machine process ${target.pid} has no running sandbox to enter`,
      {
        hint: 'The machine is stopping or has stopped; `berth machine status ID` shows its state.',
      },
    );
  }
  const env = await environOf(init);
  if (!support.ok) return { file: command[0]!, args: command.slice(1), cwd: target.appDir, env };
  const nsenter = findExecutable('nsenter');
  if (!nsenter) {
    throw new BerthError('internal', 'nsenter(1) was not found on this host', {
      hint: 'Install util-linux (e.g. `apt-get install util-linux`): it enters a running machine.',
    });
  }
  // As root the machine runs as its app's user, who owns its tree; in a user namespace it keeps the daemon's.
  const uid = support.userNamespace ? undefined : (await stat(target.appDir)).uid;
  const user = uid === undefined ? [] : [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  return {
    file: nsenter,
    args: [
      `--target=${init}`,
      ...(support.userNamespace ? ['--user', '--preserve-credentials'] : []),
      '--mount',
      '--pid',
      '--',
      support.setprivPath,
      ...user,
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
      // Into the tree through the machine's own mounts (nsenter's --wd resolves it outside them).
      '/bin/sh',
      '-c',
      'cd -- "$0" && exec "$@"',
      target.appDir,
      ...command,
    ],
    cwd: '/',
    env,
  };
}

/** Runs the launch on pipes, or on a PTY (node-pty, loaded only here) when a tty is asked for. */
export async function startExec(
  launch: { file: string; args: string[]; cwd: string; env: Record<string, string> },
  request: ExecRequest,
): Promise<ExecSession> {
  return request.tty ? startOnPty(launch, request.tty) : startOnPipes(launch);
}

function startOnPipes(launch: {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}): ExecSession {
  const child = spawn(launch.file, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    // Its own process group, so that kill() reaches what it started too.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const listeners: Array<(stream: 'stdout' | 'stderr', data: Uint8Array) => void> = [];
  child.stdout.on('data', (d: Buffer) => listeners.forEach((l) => l('stdout', d)));
  child.stderr.on('data', (d: Buffer) => listeners.forEach((l) => l('stderr', d)));
  child.stdin.on('error', () => {}); // the command may exit without reading its input
  const exit = new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
    child.once('error', (err) =>
      reject(
        new BerthError('invalid_request', `cannot run ${launch.file}: ${err.message}`, {
          hint: "Name a program the machine has (its PATH is the machine's).",
        }),
      ),
    );
    // 'close': the process has exited and its output has all been read.
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  return {
    onOutput: (listener) => listeners.push(listener),
    write: (data) => child.stdin.write(data),
    endInput: () => child.stdin.end(),
    resize: () => {},
    kill: () => killGroup(child.pid),
    exit,
  };
}

async function startOnPty(
  launch: { file: string; args: string[]; cwd: string; env: Record<string, string> },
  tty: { cols: number; rows: number; term: string },
): Promise<ExecSession> {
  // Loaded on demand: only a console or `exec -t` needs the native module.
  const pty = await import('node-pty');
  const term = pty.spawn(launch.file, launch.args, {
    name: tty.term,
    cols: tty.cols,
    rows: tty.rows,
    cwd: launch.cwd,
    env: { ...launch.env, TERM: tty.term },
    encoding: null,
  });
  const listeners: Array<(stream: 'stdout' | 'stderr', data: Uint8Array) => void> = [];
  term.onData((data: string | Buffer) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    listeners.forEach((l) => l('stdout', bytes));
  });
  const exit = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      const name = signal
        ? Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0]
        : undefined;
      // Output still in the PTY is delivered before the exit.
      setImmediate(() => resolve(name ? { exitCode: null, signal: name } : { exitCode, signal: null }));
    });
  });
  return {
    onOutput: (listener) => listeners.push(listener),
    write: (data) => term.write(Buffer.from(data)),
    endInput: () => term.write('\x04'),
    resize: ({ cols, rows }) => term.resize(cols, rows),
    kill: () => killGroup(term.pid),
    exit,
  };
}

/** A machine that has just started may not have its sandbox yet; entering early would miss its cover. */
const SANDBOX_WAIT_MS = 5_000;

/**
 * The host pid of the machine's init once its sandbox is set up: the init mounts the cover
 * over the home, then the tree back at its path; a command that enters before that would see
 * the home uncovered. Undefined when the sandbox is not there.
 */
async function sandboxReady(leader: number, appDir: string): Promise<number | undefined> {
  const deadline = Date.now() + SANDBOX_WAIT_MS;
  const point = appDir.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  for (;;) {
    const init = childInOwnPidNamespace(leader);
    if (init !== undefined) {
      const mounts = await readFile(`/proc/${init}/mountinfo`, 'utf8').catch(() => '');
      if (mounts.split('\n').some((line) => line.split(' ')[4] === point)) return init;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined || pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** The environment a process was started with: NAME=VALUE entries separated by NUL bytes. */
async function environOf(pid: number): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/environ`, 'utf8');
  } catch {
    throw new BerthError('machine_conflict', `the machine's process ${pid} is gone`, {
      hint: 'The machine has stopped; `berth machine status ID` shows its state.',
    });
  }
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}
