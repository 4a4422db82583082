// The daemon's end of an upgraded session connection: frames out, judged frames in. A frame
// that does not parse ends the session with an error frame, never the daemon.
import type { Duplex } from 'node:stream';
import { BerthError, isBerthError, toErrorBody } from '../core/errors.js';
import {
  encodeFrame,
  encodeJsonFrame,
  FrameDecoder,
  MAX_FRAME_PAYLOAD,
  SESSION_PROTOCOL,
  type ExitStatus,
  type Frame,
} from '../core/session-frames.js';
import type { SessionPeer } from '../daemon/session-peer.js';

/** Frames a client may send. */
const FROM_CLIENT = new Set(['stdin', 'eof', 'resize']);

export class SessionChannel implements SessionPeer {
  private readonly frameListeners: Array<(frame: Frame) => void> = [];
  private readonly closeListeners: Array<() => void> = [];
  private ended = false;

  private constructor(private readonly socket: Duplex) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      try {
        for (const frame of decoder.push(chunk)) {
          if (!FROM_CLIENT.has(frame.kind)) {
            throw new BerthError('invalid_frame', `a client does not send ${frame.kind} frames`);
          }
          for (const listener of this.frameListeners) listener(frame);
        }
      } catch (err) {
        this.fail(err);
      }
    });
    socket.on('error', () => this.closed_());
    socket.on('close', () => this.closed_());
  }

  /** Answers 101 and starts reading frames (`head`: bytes that came with the request). */
  static accept(socket: Duplex, head: Buffer): SessionChannel {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${SESSION_PROTOCOL}\r\n\r\n`,
    );
    const channel = new SessionChannel(socket);
    if (head.length > 0) socket.unshift(head);
    return channel;
  }

  get closed(): boolean {
    return this.ended;
  }

  send(kind: 'stdout' | 'stderr' | 'note', data: Uint8Array | string): void {
    if (this.ended) return;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length; at += MAX_FRAME_PAYLOAD) {
      this.socket.write(encodeFrame(kind, bytes.subarray(at, at + MAX_FRAME_PAYLOAD)));
    }
  }

  onFrame(listener: (frame: Frame) => void): void {
    this.frameListeners.push(listener);
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  finish(exit: ExitStatus): void {
    this.end(encodeJsonFrame('exit', exit));
  }

  fail(err: unknown): void {
    const error = isBerthError(err) ? err : new BerthError('internal', 'the session failed in the daemon');
    this.end(encodeJsonFrame('error', toErrorBody(error)));
  }

  private end(last: Uint8Array): void {
    if (this.ended) return;
    this.socket.end(last);
    this.closed_();
  }

  private closed_(): void {
    if (this.ended && this.closeListeners.length === 0) return;
    this.ended = true;
    const listeners = this.closeListeners.splice(0);
    for (const listener of listeners) listener();
  }
}
