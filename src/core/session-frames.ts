// The frames of an interactive session (`berth run`, `exec`, `console`) once the API has
// upgraded the connection: one byte of kind, four of length (big-endian), then the payload.
// Both ends judge every frame before acting on it: an unknown kind, a payload larger than the
// limit or a control payload that is not the JSON it should be is a coded error, never a crash.
import { BerthError } from './errors.js';

/** The Upgrade token the API answers for sessions. */
export const SESSION_PROTOCOL = 'berth-session/1';

export const FRAME_KINDS = {
  /** client -> daemon: bytes for the command's stdin. */
  stdin: 0,
  /** daemon -> client: the command's output. */
  stdout: 1,
  stderr: 2,
  /** daemon -> client: {exitCode, signal}; the last frame of a session that ran. */
  exit: 3,
  /** client -> daemon: {cols, rows} of the terminal. */
  resize: 4,
  /** daemon -> client: {error: {code, message, hint}}; the last frame of a session that failed. */
  error: 5,
  /** client -> daemon: no more stdin. */
  eof: 6,
  /** daemon -> client: a line about the session itself (the machine it started), not output. */
  note: 7,
} as const;

export type FrameKind = keyof typeof FRAME_KINDS;

export interface Frame {
  kind: FrameKind;
  payload: Uint8Array;
}

export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

const HEADER_BYTES = 5;
/** Larger payloads are refused: output is sent in chunks well under this. */
export const MAX_FRAME_PAYLOAD = 1024 * 1024;
const KIND_BY_CODE = new Map<number, FrameKind>(
  Object.entries(FRAME_KINDS).map(([kind, code]) => [code, kind as FrameKind]),
);

export function encodeFrame(kind: FrameKind, payload: Uint8Array | string = new Uint8Array(0)): Uint8Array {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  if (body.length > MAX_FRAME_PAYLOAD) {
    throw new BerthError('internal', `a ${kind} frame of ${body.length} bytes is over the frame limit`);
  }
  const frame = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(frame.buffer);
  view.setUint8(0, FRAME_KINDS[kind]);
  view.setUint32(1, body.length);
  frame.set(body, HEADER_BYTES);
  return frame;
}

export function encodeJsonFrame(kind: FrameKind, value: unknown): Uint8Array {
  return encodeFrame(kind, JSON.stringify(value));
}

/** Splits a byte stream into frames; bytes of a frame not yet whole wait for the next push. */
export class FrameDecoder {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): Frame[] {
    const data = concat(this.pending, chunk);
    const frames: Frame[] = [];
    let offset = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const view = new DataView(data.buffer, data.byteOffset + offset, HEADER_BYTES);
      const code = view.getUint8(0);
      const length = view.getUint32(1);
      const kind = KIND_BY_CODE.get(code);
      if (kind === undefined) {
        throw new BerthError('invalid_frame', `session frame kind ${code} is not one berth knows`);
      }
      if (length > MAX_FRAME_PAYLOAD) {
        throw new BerthError(
          'invalid_frame',
          `a ${kind} frame of ${length} bytes is larger than the ${MAX_FRAME_PAYLOAD} bytes a frame may carry`,
        );
      }
      if (data.length - offset - HEADER_BYTES < length) break;
      const start = offset + HEADER_BYTES;
      frames.push({ kind, payload: data.slice(start, start + length) });
      offset = start + length;
    }
    this.pending = data.slice(offset);
    return frames;
  }

  /** Whether a frame was cut off when the stream ended. */
  get partial(): boolean {
    return this.pending.length > 0;
  }
}

/** A resize frame's payload: whole numbers a terminal can have. */
export function parseTerminalSize(payload: Uint8Array): TerminalSize {
  const value = parseJson(payload, 'resize');
  const { cols, rows } = (value ?? {}) as Partial<TerminalSize>;
  if (!validDimension(cols) || !validDimension(rows)) {
    throw new BerthError('invalid_frame', 'a resize frame needs {"cols": N, "rows": N} from 1 to 1000');
  }
  return { cols, rows };
}

/** An exit frame's payload. */
export function parseExitStatus(payload: Uint8Array): ExitStatus {
  const value = parseJson(payload, 'exit') as Partial<ExitStatus> | null;
  const exitCode = value?.exitCode;
  const signal = value?.signal;
  if (
    (exitCode !== null && !(Number.isInteger(exitCode) && exitCode! >= 0 && exitCode! <= 255)) ||
    (signal !== null && typeof signal !== 'string')
  ) {
    throw new BerthError(
      'invalid_frame',
      'an exit frame needs {"exitCode": 0-255 or null, "signal": name or null}',
    );
  }
  return { exitCode: exitCode ?? null, signal: signal ?? null };
}

/** The exit code a CLI reports for a command: its own, or 128+N for signal N (as a shell does). */
export function exitCodeOf(status: ExitStatus, signalNumbers: Record<string, number>): number {
  if (status.exitCode !== null) return status.exitCode;
  const number = status.signal === null ? undefined : signalNumbers[status.signal];
  return number === undefined ? 1 : 128 + number;
}

export function validDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1000;
}

function parseJson(payload: Uint8Array, kind: FrameKind): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(payload)) as unknown;
  } catch {
    throw new BerthError('invalid_frame', `a ${kind} frame's payload is not JSON`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
