// The client end of an interactive session as the daemon sees it (the API's upgraded
// connection, src/api/session-channel.ts), and how a command running in a machine is joined to it.
import { parseTerminalSize, type ExitStatus, type Frame } from '../core/session-frames.js';
import type { ExecSession } from '../drivers/driver.js';

export interface SessionPeer {
  send(kind: 'stdout' | 'stderr' | 'note', data: Uint8Array | string): void;
  /** stdin, eof and resize frames from the client, already judged well-formed in kind and size. */
  onFrame(listener: (frame: Frame) => void): void;
  /** The client went away (or the session ended). */
  onClose(listener: () => void): void;
  readonly closed: boolean;
  /** Sends the exit frame and ends the connection. */
  finish(exit: ExitStatus): void;
  /** Sends an error frame and ends the connection. */
  fail(err: unknown): void;
}

/** Answers the upgrade (101) and returns the session's client end; called once checks have passed. */
export type AcceptSession = () => SessionPeer;

/** Output to the client, input and resizes to the command, until the command exits. */
export async function joinSession(session: ExecSession, peer: SessionPeer): Promise<ExitStatus> {
  session.onOutput((stream, data) => peer.send(stream, data));
  peer.onFrame((frame) => {
    if (frame.kind === 'stdin') session.write(frame.payload);
    else if (frame.kind === 'eof') session.endInput();
    else if (frame.kind === 'resize') session.resize(parseTerminalSize(frame.payload));
  });
  peer.onClose(() => session.kill());
  return session.exit;
}
