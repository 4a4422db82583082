// The client side of a request node's http server parsed: used on listeners the daemon opens
// itself with node:http (allocated addresses) and, with `httpServer: 'node'`, on the proxy's
// own listeners (the benchmark measures it beside berth's own server).
import http from 'node:http';
import type net from 'node:net';
import type { ClientHandler, ClientSide } from './client-side.js';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE, type BodyFraming } from './request-parser.js';

const kClient = Symbol('berth.nodeClient');
type Tagged<T> = T & { [kClient]?: NodeClient };

export class NodeClient implements ClientSide {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly host: string | undefined;
  readonly bodyFraming: BodyFraming;
  readonly socket: net.Socket;
  private handler: ClientHandler | null = null;
  private drainHooked = false;

  constructor(
    readonly req: Tagged<http.IncomingMessage>,
    readonly res: Tagged<http.ServerResponse>,
  ) {
    this.method = req.method!;
    this.url = req.url!;
    this.rawHeaders = req.rawHeaders;
    this.socket = req.socket;
    let host: string | undefined;
    let framing: BodyFraming = BODY_NONE;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === 4 && host === undefined && key.toLowerCase() === 'host') host = raw[i + 1];
      // node has already refused Transfer-Encoding beside Content-Length.
      else if (key.length === 17 && key.toLowerCase() === 'transfer-encoding') framing = BODY_CHUNKED;
      else if (
        key.length === 14 &&
        framing === BODY_NONE &&
        raw[i + 1] !== '0' &&
        key.toLowerCase() === 'content-length'
      ) {
        framing = BODY_LENGTH;
      }
    }
    this.host = host;
    this.bodyFraming = framing;
    req[kClient] = this;
    res[kClient] = this;
  }

  get closeSignal(): http.ServerResponse {
    return this.res;
  }

  get bodyPaused(): boolean {
    return this.req.isPaused();
  }

  bind(handler: ClientHandler): void {
    this.handler = handler;
    this.res.on('close', onResClose);
    if (this.bodyFraming !== BODY_NONE) {
      this.req.on('data', onReqData);
      this.req.on('end', onReqEnd);
    }
  }

  pauseBody(): void {
    this.req.pause();
  }

  resumeBody(): void {
    this.req.resume();
  }

  writeHead(status: number, reason: string, headers: string[]): boolean {
    try {
      this.res.writeHead(status, reason || undefined, headers);
      return true;
    } catch {
      // node refused a header name or value.
      return false;
    }
  }

  write(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onResDrain);
    }
    return false;
  }

  end(chunk?: Buffer): void {
    this.res.end(chunk);
  }

  destroy(): void {
    this.res.destroy();
  }

  sendText(status: number, text: string, headers: string[] = [], close = false): void {
    const res = this.res;
    for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
    if (close) res.setHeader('connection', 'close');
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  /** The handler, for the module-level listeners. */
  static handlerOf(
    emitter: Tagged<http.IncomingMessage> | Tagged<http.ServerResponse>,
  ): ClientHandler | null {
    return emitter[kClient]?.handler ?? null;
  }
}

// Module-level listeners: no closure per request.
function onResClose(this: Tagged<http.ServerResponse>): void {
  NodeClient.handlerOf(this)?.onClientClose();
}
function onReqData(this: Tagged<http.IncomingMessage>, chunk: Buffer): void {
  NodeClient.handlerOf(this)?.onClientData(chunk);
}
function onReqEnd(this: Tagged<http.IncomingMessage>): void {
  NodeClient.handlerOf(this)?.onClientEnd();
}
function onResDrain(this: Tagged<http.ServerResponse>): void {
  NodeClient.handlerOf(this)?.onClientDrain();
}
