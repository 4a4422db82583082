// The local terminal's side of a session: output to stdout/stderr, input forwarded, and for a
// PTY the terminal in raw mode (every key goes to the remote shell, Ctrl-C included) with its
// size followed. The terminal is put back however the session ends.
import { constants as osConstants } from 'node:os';
import { exitCodeOf, type ExitStatus } from '../core/session-frames.js';
import type { ClientSession, SessionHandlers } from '../sdk/session.js';
import type { CliContext } from './context.js';

/** Output of the session to this process's stdout and stderr; notes to stderr unless quiet. */
export function printTo(ctx: CliContext, quiet = false): SessionHandlers {
  return {
    onOutput: (stream, data) => (stream === 'stdout' ? process.stdout : process.stderr).write(data),
    onNote: (text) => {
      if (!quiet) ctx.out.note(`==> ${text}`);
    },
  };
}

/** The local terminal's size, or 80x24 when stdout is no terminal. */
export function terminalSize(): { cols: number; rows: number } {
  return { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
}

export function terminalType(env: NodeJS.ProcessEnv): string {
  const term = env.TERM ?? '';
  return /^[A-Za-z0-9._+-]{1,64}$/.test(term) && term !== 'dumb' ? term : 'xterm-256color';
}

/**
 * Joins stdin (and, with a tty, the terminal's mode and size) to the session until it ends;
 * returns the exit code to leave with: the command's, or 128+N for signal N.
 */
export async function attach(
  session: ClientSession,
  options: { tty: boolean; forwardInput: boolean },
): Promise<number> {
  const stdin = process.stdin;
  const raw = options.tty && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const onData = (data: Buffer) => session.write(data);
  const onEnd = () => session.endInput();
  const onResize = () => session.resize(terminalSize());
  if (options.forwardInput) {
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  }
  if (options.tty) process.stdout.on('resize', onResize);
  let exit: ExitStatus;
  try {
    exit = await session.exit;
  } finally {
    process.stdout.off('resize', onResize);
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    // stdin may hold the event loop open (a terminal that was read from).
    stdin.unref?.();
  }
  return exitCodeOf(exit, osConstants.signals as unknown as Record<string, number>);
}
