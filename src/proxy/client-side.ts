// The client's half of a proxied request, as the edge proxy drives it, whichever HTTP server
// parsed the request: berth's own on raw sockets (client-connection.ts, the default) or node's
// http server (node-client.ts: listeners the daemon opens itself, and the benchmark's
// reference column).
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { BodyFraming } from './request-parser.js';

/** What a listener is, for the requests it accepts: one object per listener, not per request. */
export interface ListenerContext {
  /** "https" on the TLS listener: x-forwarded-proto says so and force_https does not apply. */
  readonly scheme: 'http' | 'https';
  /** A listener dedicated to one app (`berth ips allocate`): every request goes there. */
  readonly app?: string;
}

/** What the proxy does as the client side moves: one per request (the Exchange). */
export interface ClientHandler {
  onClientData(chunk: Buffer): void;
  onClientEnd(): void;
  /** The client's socket took the response bytes it had refused (write returned false). */
  onClientDrain(): void;
  /** The response is complete or the client went away: called once. */
  onClientClose(): void;
}

export interface ClientSide {
  readonly method: string;
  readonly url: string;
  /** Flat `[name, value, …]` as received. */
  readonly rawHeaders: string[];
  /** The Host header, if any. */
  readonly host: string | undefined;
  /** How the request body is framed (BODY_NONE when there is none). */
  readonly bodyFraming: BodyFraming;
  /** The client's connection (its peer address; destroyed when the client has gone). */
  readonly socket: net.Socket;
  /** Emits 'close' when the client goes away (a held request is then dropped). */
  readonly closeSignal: EventEmitter;
  /** The request body is paused because the machine is not taking it. */
  readonly bodyPaused: boolean;

  /** From now on client events go to `handler`; the body (if any) starts flowing to it. */
  bind(handler: ClientHandler): void;
  pauseBody(): void;
  resumeBody(): void;

  /**
   * The response's status line and headers (hop-by-hop ones already removed); `chunked`: the
   * machine did not give the body's length. False when a header cannot be sent.
   */
  writeHead(status: number, reason: string, headers: string[], chunked: boolean): boolean;
  /** False: the client is slow, wait for onClientDrain. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): void;
  /** Cut the client off (a response that cannot be completed must look truncated). */
  destroy(): void;
  /**
   * A whole plain-text answer from the proxy itself. `headers`: extra flat pairs; `close`:
   * close the connection after it.
   */
  sendText(status: number, text: string, headers?: string[], close?: boolean): void;
}
