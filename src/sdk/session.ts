// The client end of a session (`berth run`, `exec`, `console`): an HTTP request upgraded to
// berth-session/1, then frames both ways (src/core/session-frames.ts).
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import {
  encodeFrame,
  encodeJsonFrame,
  FrameDecoder,
  parseExitStatus,
  SESSION_PROTOCOL,
  type ExitStatus,
  type TerminalSize,
} from '../core/session-frames.js';
import { ApiError } from './api-error.js';

export interface SessionHandlers {
  /** The command's output (with a tty, all of it comes as stdout). */
  onOutput(stream: 'stdout' | 'stderr', data: Uint8Array): void;
  /** A line about the session itself, e.g. the machine it started. */
  onNote?(text: string): void;
}

export class ClientSession {
  /** Settles with the command's exit, or rejects with the daemon's error. */
  readonly exit: Promise<ExitStatus>;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
    handlers: SessionHandlers,
  ) {
    const decoder = new FrameDecoder();
    this.exit = new Promise<ExitStatus>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      const take = (chunk: Uint8Array) => {
        try {
          for (const frame of decoder.push(chunk)) {
            if (frame.kind === 'stdout' || frame.kind === 'stderr')
              handlers.onOutput(frame.kind, frame.payload);
            else if (frame.kind === 'note') handlers.onNote?.(new TextDecoder().decode(frame.payload));
            else if (frame.kind === 'exit') settle(() => resolve(parseExitStatus(frame.payload)));
            else if (frame.kind === 'error') settle(() => reject(errorOf(frame.payload)));
          }
        } catch (err) {
          socket.destroy();
          settle(() => reject(err));
        }
      };
      socket.on('data', take);
      socket.on('error', () => undefined);
      socket.on('close', () =>
        settle(() =>
          reject(
            new ApiError(
              'daemon_unreachable',
              'the daemon closed the session before the command ended',
              'Check that the daemon is running (`berth server status`); its log says why.',
              0,
            ),
          ),
        ),
      );
      if (head.length > 0) take(head);
    });
    this.exit.then(
      () => socket.end(),
      () => socket.destroy(),
    );
  }

  write(data: Uint8Array): void {
    this.socket.write(encodeFrame('stdin', data));
  }

  endInput(): void {
    this.socket.write(encodeFrame('eof'));
  }

  resize(size: TerminalSize): void {
    this.socket.write(encodeJsonFrame('resize', size));
  }

  /** Leaves the session; the daemon ends the command (and a temporary machine). */
  close(): void {
    this.socket.destroy();
  }
}

/** Opens a session at `path` (with its query) and resolves once the daemon has accepted it. */
export function openSession(
  baseUrl: string,
  token: string | undefined,
  path: string,
  handlers: SessionHandlers,
): Promise<ClientSession> {
  const url = new URL(baseUrl + path);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, {
      method: 'POST',
      headers: {
        connection: 'Upgrade',
        upgrade: SESSION_PROTOCOL,
        ...(token && { authorization: `Bearer ${token}` }),
      },
    });
    req.on('upgrade', (_res, socket, head) => resolve(new ClientSession(socket, head, handlers)));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => reject(errorOf(Buffer.from(text), res.statusCode ?? 0)));
    });
    req.on('error', (err) =>
      reject(
        new ApiError(
          'daemon_unreachable',
          `cannot reach the berth daemon at ${baseUrl} (${(err as NodeJS.ErrnoException).code ?? err.message})`,
          'Start it with `berth server`, or point BERTH_API_URL at a running daemon.',
          0,
        ),
      ),
    );
    req.end();
  });
}

function errorOf(payload: Uint8Array, status = 0): ApiError {
  let body: { error?: { code?: string; message?: string; hint?: string; details?: unknown } } = {};
  try {
    body = JSON.parse(new TextDecoder().decode(payload)) as typeof body;
  } catch {
    // not one of ours
  }
  const e = body.error;
  return new ApiError(
    e?.code ?? `http_${status}`,
    e?.message ?? `the daemon answered ${status}`,
    e?.hint ?? '',
    status,
    e?.details,
  );
}
