// One client connection on berth's own HTTP/1.1 server: reads requests from a raw (or TLS)
// socket with parseRequestHead and ChunkedBodyDecoder, hands each to the proxy, and writes the
// response back. Node's http server costs most of the proxy's CPU per request (its parser
// binding, IncomingMessage and ServerResponse, header objects); this does the same work with
// one object per connection, one head string per request and one socket write per response.
//
// One request at a time: bytes of a pipelined next request wait (the socket paused) until the
// response to this one is complete, so responses go out in order. A request refused as
// malformed gets a plain-text 4xx naming the problem and the connection is closed. A response
// that ends before its request body was read closes the connection too (it says so in its
// head), as does one without a length to an HTTP/1.0 client.
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import type { ClientHandler, ClientSide, ListenerContext } from './client-side.js';
import { seconds } from './limits.js';
import { ChunkedBodyDecoder } from './request-body.js';
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  BODY_NONE,
  RequestParseError,
  findHeadEnd,
  parseRequestHead,
  skipEmptyLines,
  type BodyFraming,
  type RequestHead,
} from './request-parser.js';

/** Where the connection's requests go: the edge proxy. */
export interface RequestDispatcher {
  request(client: ClientSide, context: ListenerContext): void;
  /** An upgrade request: the socket is the tunnel's from now on; `early` are bytes read past the head. */
  upgrade(client: ClientSide, socket: net.Socket, early: Buffer, context: ListenerContext): void;
}

/** How long a connection may wait between requests and for a request's head. */
export interface ConnectionTimeouts {
  /** Idle between requests: closed (node's keepAliveTimeout on the proxy's listeners). */
  keepAliveMs: number;
  /** From a connection's start, or a request's first byte, to the end of its head: 408. */
  headersMs: number;
}

export const DEFAULT_CONNECTION_TIMEOUTS: ConnectionTimeouts = { keepAliveMs: 60_000, headersMs: 30_000 };

// Where the reading side is.
const READING_HEAD = 0;
const READING_BODY = 1;
const READ_DONE = 2; // the request is read; bytes after it wait for the response to finish
const UPGRADED = 3;
const CLOSED = 4;

// How the response body is framed for the client.
const RESP_NONE = 0;
const RESP_LENGTH = 1;
const RESP_CHUNKED = 2;
const RESP_UNTIL_CLOSE = 3;

const CRLF = Buffer.from('\r\n', 'latin1');

const kConn = Symbol('berth.clientConnection');
type TaggedSocket = net.Socket & { [kConn]?: ClientConnection };

export class ClientConnection implements ClientSide {
  /** The listener is closing: no further requests on this connection. */
  closing = false;

  private state = READING_HEAD;
  /** Bytes read and not yet handled, from `offset`. */
  private buffered: Buffer | null = null;
  private offset = 0;
  private processing = false;
  private socketPaused = false;
  private peerEnded = false;

  // The current request.
  method = '';
  url = '';
  rawHeaders: string[] = [];
  host: string | undefined = undefined;
  bodyFraming: BodyFraming = BODY_NONE;
  private http10 = false;
  private keepAlive = true;
  private expectContinue = false;
  /** A request is in progress: dispatched and its response not complete. */
  private active = false;
  private handler: ClientHandler | null = null;
  private bodyLeft = 0;
  private decoder: ChunkedBodyDecoder | null = null;
  private paused = false;
  private readonly onChunk = (chunk: Buffer): boolean => {
    this.handler!.onClientData(chunk);
    return !this.paused && this.handler !== null;
  };

  // The response.
  private responseHead: string | null = null;
  private responseMode = RESP_NONE;
  private responseClose = false;
  private responding = false;
  private awaitingDrain = false;

  // Idle and header deadlines (see sweep): bumped when a request starts or ends, or the first
  // byte of a head arrives.
  private activity = 0;
  private seenActivity = -1;
  private since = 0;
  private served = false;

  constructor(
    readonly socket: TaggedSocket,
    private readonly dispatcher: RequestDispatcher,
    private readonly context: ListenerContext,
  ) {
    socket[kConn] = this;
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', ignoreError);
    socket.on('drain', onSocketDrain);
  }

  get closeSignal(): net.Socket {
    return this.socket;
  }

  get bodyPaused(): boolean {
    return this.paused;
  }

  // --- reading requests ---

  handleData(chunk: Buffer): void {
    if (this.state >= UPGRADED) return;
    if (this.buffered === null) {
      this.buffered = chunk;
      this.offset = 0;
      if (!this.active) this.activity++; // the first bytes of a head: its deadline starts
    } else {
      this.buffered = Buffer.concat([this.buffered.subarray(this.offset), chunk]);
      this.offset = 0;
    }
    this.process();
  }

  private consume(n: number): void {
    this.offset += n;
    if (this.offset >= this.buffered!.length) {
      this.buffered = null;
      this.offset = 0;
    }
  }

  /** Handles buffered bytes as far as the request's state allows; pauses the socket where it must wait. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.buffered !== null) {
        if (this.state === READING_HEAD) {
          // A pipelined request waits for the response before it.
          if (this.active || !this.readHead()) break;
        } else if (this.state === READING_BODY) {
          if (this.handler === null || this.paused) break;
          this.readBody();
        } else {
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof RequestParseError)) throw err;
      this.refuse(err);
    } finally {
      this.processing = false;
    }
    if (this.state >= UPGRADED) return;
    const wait =
      this.buffered !== null || (this.state === READING_BODY && (this.handler === null || this.paused));
    if (wait !== this.socketPaused) {
      this.socketPaused = wait;
      if (wait) this.socket.pause();
      else this.socket.resume();
    }
  }

  /** Parses a head if it is all there: false when more bytes are needed. */
  private readHead(): boolean {
    const data = this.buffered!;
    const start = skipEmptyLines(data, this.offset);
    if (start >= data.length) {
      this.buffered = null;
      this.offset = 0;
      return false;
    }
    const end = findHeadEnd(data, start);
    if (end === -1) {
      if (start !== this.offset) this.consume(start - this.offset);
      return false;
    }
    const text = data.toString('latin1', start, end);
    this.consume(end + 4 - this.offset);
    this.begin(parseRequestHead(text));
    return true;
  }

  private begin(head: RequestHead): void {
    this.method = head.method;
    this.url = head.url;
    this.rawHeaders = head.headers;
    this.host = head.host;
    this.bodyFraming = head.body;
    this.http10 = head.http10;
    this.keepAlive = head.keepAlive;
    this.expectContinue = head.expectContinue;
    this.bodyLeft = head.contentLength;
    this.decoder = head.body === BODY_CHUNKED ? new ChunkedBodyDecoder() : null;
    this.paused = false;
    this.responding = false;
    this.active = true;
    this.activity++;
    if (head.upgrade) {
      this.state = UPGRADED;
      this.handOver();
      return;
    }
    this.state = head.body === BODY_NONE ? READ_DONE : READING_BODY;
    this.dispatcher.request(this, this.context);
  }

  // Upgrades: the socket becomes the tunnel's, with the bytes read past the head.
  private handOver(): void {
    const socket = this.socket;
    const early = this.buffered === null ? Buffer.alloc(0) : this.buffered.subarray(this.offset);
    this.buffered = null;
    socket.off('data', onSocketData);
    socket.off('end', onSocketEnd);
    socket.off('drain', onSocketDrain);
    // Until the machine answers, the client's bytes wait in the socket.
    socket.pause();
    this.socketPaused = true;
    this.dispatcher.upgrade(this, socket, early, this.context);
  }

  private readBody(): void {
    const data = this.buffered!;
    if (this.bodyFraming === BODY_LENGTH) {
      const available = data.length - this.offset;
      const take = Math.min(this.bodyLeft, available);
      const chunk =
        this.offset === 0 && take === data.length ? data : data.subarray(this.offset, this.offset + take);
      this.consume(take);
      this.bodyLeft -= take;
      if (this.bodyLeft === 0) this.state = READ_DONE;
      this.handler!.onClientData(chunk);
      if (this.state === READ_DONE) this.handler?.onClientEnd();
      return;
    }
    const decoder = this.decoder!;
    const stop = decoder.decode(data, this.offset, this.onChunk);
    if (this.buffered === data) this.consume(stop - this.offset);
    if (decoder.done && this.state === READING_BODY) {
      this.state = READ_DONE;
      this.handler?.onClientEnd();
    }
  }

  /** A malformed request (or body): a 4xx naming the problem, then the connection closes. */
  private refuse(err: RequestParseError): void {
    this.buffered = null;
    if (!this.active) {
      this.method = '';
      this.http10 = false;
    }
    if (this.state === READING_BODY) this.state = READ_DONE;
    this.keepAlive = false;
    if (this.responding) {
      this.destroy();
      return;
    }
    this.active = true;
    this.sendText(
      err.status,
      `berth refused the request: ${err.message}.\n` +
        'Send HTTP/1.1 as RFC 9112 writes it; this connection is closed.\n',
      [],
      true,
    );
  }

  // --- ClientSide: the proxy's side of the current request ---

  bind(handler: ClientHandler): void {
    this.handler = handler;
    if (this.state !== READING_BODY) return;
    if (this.expectContinue) {
      this.expectContinue = false;
      this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    }
    this.process();
  }

  pauseBody(): void {
    this.paused = true;
  }

  resumeBody(): void {
    if (!this.paused) return;
    this.paused = false;
    this.process();
  }

  writeHead(status: number, reason: string, headers: string[], chunked: boolean): boolean {
    let close = !this.keepAlive || this.closing || this.peerEnded || this.state === READING_BODY;
    let head = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || ''}\r\n`;
    let length = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = true;
      head += name + ': ' + headers[i + 1]! + '\r\n';
    }
    if (this.method === 'HEAD' || status === 204 || status === 304 || status < 200) {
      this.responseMode = RESP_NONE;
    } else if (length && !chunked) {
      this.responseMode = RESP_LENGTH;
    } else if (!this.http10) {
      this.responseMode = RESP_CHUNKED;
      head += 'transfer-encoding: chunked\r\n';
    } else {
      // An HTTP/1.0 client knows no chunks: the body ends with the connection.
      this.responseMode = RESP_UNTIL_CLOSE;
      close = true;
    }
    if (close) head += 'connection: close\r\n\r\n';
    else head += this.http10 ? 'connection: keep-alive\r\n\r\n' : '\r\n';
    this.responseClose = close;
    this.responding = true;
    // Sent with the first body bytes when they come in this same tick (one write), else then.
    this.responseHead = head;
    process.nextTick(flushHead, this);
    return true;
  }

  flushHead(): void {
    const head = this.responseHead;
    if (head === null) return;
    this.responseHead = null;
    if (this.state !== CLOSED) this.socket.write(head, 'latin1');
  }

  write(chunk: Buffer): boolean {
    if (this.state === CLOSED) return true;
    const socket = this.socket;
    let ok: boolean;
    if (this.responseMode === RESP_CHUNKED) {
      if (chunk.length === 0) return true;
      const size = chunk.length.toString(16) + '\r\n';
      const head = this.responseHead;
      this.responseHead = null;
      socket.cork();
      socket.write(head === null ? size : head + size, 'latin1');
      socket.write(chunk);
      ok = socket.write(CRLF);
      socket.uncork();
    } else if (this.responseHead !== null) {
      const head = this.responseHead;
      this.responseHead = null;
      socket.cork();
      socket.write(head, 'latin1');
      ok = socket.write(chunk);
      socket.uncork();
    } else {
      ok = socket.write(chunk);
    }
    if (!ok) this.awaitingDrain = true;
    return ok;
  }

  end(chunk?: Buffer): void {
    if (this.state !== CLOSED) {
      const socket = this.socket;
      const head = this.responseHead;
      this.responseHead = null;
      if (this.responseMode === RESP_CHUNKED) {
        if (chunk !== undefined && chunk.length > 0) {
          socket.cork();
          socket.write((head ?? '') + chunk.length.toString(16) + '\r\n', 'latin1');
          socket.write(chunk);
          socket.write('\r\n0\r\n\r\n', 'latin1');
          socket.uncork();
        } else {
          socket.write((head ?? '') + '0\r\n\r\n', 'latin1');
        }
      } else if (chunk !== undefined && chunk.length > 0 && this.responseMode !== RESP_NONE) {
        if (head !== null && chunk.length <= 1024) {
          // The usual small response: head and body in one write.
          socket.write(head + chunk.toString('latin1'), 'latin1');
        } else {
          if (head !== null) {
            socket.cork();
            socket.write(head, 'latin1');
            socket.write(chunk);
            socket.uncork();
          } else {
            socket.write(chunk);
          }
        }
      } else if (head !== null) {
        socket.write(head, 'latin1');
      }
    }
    this.finish();
  }

  destroy(): void {
    this.socket.destroy();
  }

  sendText(status: number, text: string, headers: string[] = [], close = false): void {
    if (this.state === CLOSED) return this.finish();
    close ||= !this.keepAlive || this.closing || this.peerEnded || this.state === READING_BODY;
    const body = Buffer.from(text, 'utf8');
    let head =
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'content-type: text/plain; charset=utf-8\r\n' +
      `content-length: ${body.length}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += headers[i]! + ': ' + headers[i + 1]! + '\r\n';
    head += close ? 'connection: close\r\n\r\n' : this.http10 ? 'connection: keep-alive\r\n\r\n' : '\r\n';
    this.responseHead = null;
    this.responseClose = close;
    this.responding = true;
    this.socket.cork();
    this.socket.write(head, 'latin1');
    if (this.method !== 'HEAD') this.socket.write(body);
    this.socket.uncork();
    this.finish();
  }

  /** The response is written: release the handler, then the next request or the close. */
  private finish(): void {
    const handler = this.handler;
    this.handler = null;
    this.active = false;
    this.responding = false;
    this.awaitingDrain = false;
    this.served = true;
    this.activity++;
    handler?.onClientClose();
    if (this.state === CLOSED) return;
    if (this.responseClose || this.state !== READ_DONE) {
      this.closeAfterWrite();
      return;
    }
    this.state = READING_HEAD;
    if (this.peerEnded && this.buffered === null) {
      this.closeAfterWrite();
      return;
    }
    this.process();
  }

  private closeAfterWrite(): void {
    this.state = CLOSED;
    this.buffered = null;
    // Flush what is written, then close; a client that keeps sending is not read any more.
    this.socket.destroySoon();
  }

  // --- socket events ---

  handleDrain(): void {
    if (!this.awaitingDrain) return;
    this.awaitingDrain = false;
    this.handler?.onClientDrain();
  }

  handleEnd(): void {
    this.peerEnded = true;
    if (this.state >= UPGRADED) return;
    if (!this.active) {
      // Between requests (or mid-head): nothing more will come.
      this.state = CLOSED;
      this.socket.end();
      return;
    }
    // The client stopped sending before the body was complete: the request is cut short.
    if (this.state === READING_BODY && this.buffered === null) this.destroy();
  }

  handleClose(): void {
    if (this.state === UPGRADED) return;
    this.state = CLOSED;
    this.buffered = null;
    const handler = this.handler;
    this.handler = null;
    this.active = false;
    handler?.onClientClose();
  }

  /**
   * The sweep's check (every few hundred ms): a connection waiting for a head past its
   * deadline gets 408 and is closed; one idle between requests past the keep-alive timeout is
   * closed.
   */
  checkIdle(now: number, timeouts: ConnectionTimeouts): void {
    if (this.active || this.state !== READING_HEAD) {
      this.seenActivity = -1;
      return;
    }
    if (this.activity !== this.seenActivity) {
      this.seenActivity = this.activity;
      this.since = now;
      return;
    }
    const partial = this.buffered !== null || !this.served;
    if (now - this.since < (partial ? timeouts.headersMs : timeouts.keepAliveMs)) return;
    if (this.buffered !== null) {
      this.method = '';
      this.http10 = false;
      this.buffered = null;
      this.active = true;
      this.sendText(
        408,
        `berth: the request head did not arrive within ${seconds(timeouts.headersMs)}; this connection is closed.\n`,
        [],
        true,
      );
    } else {
      this.destroy();
    }
  }

  /** Closing the listener: an idle connection closes now, a busy one after its response. */
  closeWhenIdle(): void {
    this.closing = true;
    if (!this.active && this.state !== UPGRADED) this.destroy();
  }
}

function flushHead(conn: ClientConnection): void {
  conn.flushHead();
}

// Module-level listeners: no closure per connection.
function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kConn]!.handleData(chunk);
}
function onSocketEnd(this: TaggedSocket): void {
  this[kConn]!.handleEnd();
}
function onSocketClose(this: TaggedSocket): void {
  this[kConn]!.handleClose();
}
function onSocketDrain(this: TaggedSocket): void {
  this[kConn]!.handleDrain();
}
function ignoreError(): void {}
