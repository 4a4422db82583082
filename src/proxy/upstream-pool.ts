// Keep-alive connections from the proxy to machines, pooled per `host:port`.
//
// Our own small HTTP/1.1 client rather than node's http.request + Agent. Measured on the
// 2-core bench machine (proxy process CPU per request, examples/hello behind it): a bare
// node:http proxy ~180 µs, this design ~70-90 µs, a plain TCP relay ~40 µs. The proxy writes
// the request head itself (one string, one write) and reads the response with a ResponseParser.
// One idle timer sweeps every pool, instead of a socket timer reset on each request.
import net from 'node:net';
import {
  ResponseParseError,
  ResponseParser,
  type ResponseHead,
  type ResponseSink,
} from './response-parser.js';

export interface UpstreamPoolOptions {
  /** Idle connections kept per machine; more are closed when released. */
  maxIdlePerBackend?: number;
  /**
   * Close a connection idle this long. A machine announcing `Keep-Alive: timeout=N` gets N
   * minus a second instead, so we never reuse a socket it is about to close.
   */
  idleTimeoutMs?: number;
  /** Give up connecting to a machine after this long. */
  connectTimeoutMs?: number;
}

/** What happened when an exchange failed, for the caller's retry decision. */
export interface UpstreamFailure {
  error: NodeJS.ErrnoException;
  /** The connection had served an earlier request (a stale keep-alive socket is possible). */
  reused: boolean;
  /** Any byte of the response had arrived. */
  responded: boolean;
  /** The TCP connection had been established. */
  connected: boolean;
}

/** The receiving side of one exchange on a connection. */
export interface UpstreamHandler {
  onResponseHead(head: ResponseHead, conn: UpstreamConnection): void;
  onResponseBody(chunk: Buffer, last: boolean): void;
  /** The response is complete; the connection has already gone back to the pool or closed. */
  onResponseEnd(): void;
  onUpstreamFailure(failure: UpstreamFailure): void;
  /** The socket accepts request body writes again after a write returned false. */
  onUpstreamDrain(): void;
}

export interface PoolStats {
  /** `host:port` */
  address: string;
  active: number;
  idle: number;
}

const kConn = Symbol('berth.upstream');
type TaggedSocket = net.Socket & { [kConn]?: UpstreamConnection };

/** One connection to one machine, carrying one exchange at a time. */
export class UpstreamConnection implements ResponseSink {
  readonly socket: TaggedSocket;
  readonly parser: ResponseParser;
  handler: UpstreamHandler | null = null;
  connected = false;
  /** Exchanges started on this connection. */
  uses = 0;
  /** Where the connection is: checked out for an exchange, idle in its pool, or closed. */
  where: 'active' | 'idle' | 'closed' = 'active';
  idleSince = 0;
  idleLimitMs: number;
  private requestDone = false;
  private keepAlive = false;
  private error: NodeJS.ErrnoException | undefined;
  /**
   * A parsed head not yet handed on: it goes with the first body bytes or at the end of the
   * read, so a malformed body framing in the same read is still answered with a 502.
   */
  private head: ResponseHead | null = null;

  constructor(
    readonly pool: BackendPool,
    connectTimeoutMs: number,
  ) {
    this.idleLimitMs = pool.idleTimeoutMs;
    this.parser = new ResponseParser(this);
    const socket = net.connect({ host: pool.host, port: pool.port, noDelay: true }) as TaggedSocket;
    socket[kConn] = this;
    socket.setTimeout(connectTimeoutMs);
    socket.on('connect', onSocketConnect);
    socket.on('timeout', onSocketTimeout);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('drain', onSocketDrain);
    this.socket = socket;
  }

  /**
   * Start an exchange: write the request head (latin1: header bytes as node received them).
   * `expectBody` is false for HEAD requests. `requestDone` when no body follows.
   */
  send(handler: UpstreamHandler, head: string, expectBody: boolean, requestDone: boolean): void {
    this.handler = handler;
    this.uses++;
    this.requestDone = requestDone;
    this.keepAlive = false;
    this.parser.start(!expectBody);
    this.socket.write(head, 'latin1');
  }

  /** Write request body bytes as they are (Content-Length framing). False means wait for drain. */
  write(chunk: Buffer): boolean {
    return this.socket.write(chunk);
  }

  /** Write one chunk of a chunked request body. */
  writeChunk(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    this.socket.cork();
    this.socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
    this.socket.write(chunk);
    const ok = this.socket.write('\r\n', 'latin1');
    this.socket.uncork();
    return ok;
  }

  /** The request body is complete (`chunked`: write the last-chunk marker). */
  endRequest(chunked: boolean): void {
    if (chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.requestDone = true;
  }

  /** Abandon the exchange: the socket cannot be reused. */
  destroy(): void {
    this.handler = null;
    this.head = null;
    this.parser.stop();
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  // ResponseSink
  onHead(head: ResponseHead): void {
    this.keepAlive = head.keepAlive;
    if (head.keepAliveTimeoutMs !== undefined) {
      this.idleLimitMs = Math.min(this.pool.idleTimeoutMs, head.keepAliveTimeoutMs - 1000);
    }
    this.head = head;
  }

  private handOnHead(): void {
    const head = this.head!;
    this.head = null;
    this.handler?.onResponseHead(head, this);
  }

  onBody(chunk: Buffer, last: boolean): void {
    if (this.head !== null) this.handOnHead();
    this.handler?.onResponseBody(chunk, last);
  }

  onEnd(): void {
    if (this.head !== null) this.handOnHead();
    const handler = this.handler;
    this.handler = null;
    // A response that ends before its request body was sent (an early 413, say) leaves the
    // connection mid-request: not reusable.
    if (this.requestDone) this.release();
    else this.socket.destroy();
    handler?.onResponseEnd();
  }

  private release(): void {
    // idleLimitMs <= 0: the machine closes idle connections at once (`Keep-Alive: timeout=1`).
    if (this.keepAlive && this.idleLimitMs > 0 && !this.socket.destroyed) {
      // Paused for a slow client: idle sockets must read so we notice the machine closing them.
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this);
    } else {
      this.socket.destroy();
    }
  }

  failed(error: NodeJS.ErrnoException): void {
    const handler = this.handler;
    this.handler = null;
    this.head = null;
    this.parser.stop();
    this.socket.destroy();
    handler?.onUpstreamFailure({
      error,
      reused: this.uses > 1,
      responded: this.parser.started,
      connected: this.connected,
    });
  }

  // socket events
  handleData(data: Buffer): void {
    if (this.handler === null) {
      // Bytes on an idle connection, or after we gave up on a response: not reusable.
      this.socket.destroy();
      return;
    }
    try {
      this.parser.execute(data);
    } catch (err) {
      if (!(err instanceof ResponseParseError)) throw err;
      this.failed(Object.assign(err, { code: 'EPROTO' }));
      return;
    }
    if (this.head !== null) this.handOnHead();
  }

  handleEnd(): void {
    if (this.handler !== null && !this.parser.finish()) {
      this.failed(connectionError('ECONNRESET', 'the machine closed the connection'));
    }
  }

  handleError(err: NodeJS.ErrnoException): void {
    this.error = err;
  }

  handleClose(): void {
    this.pool.forget(this);
    if (this.handler !== null) {
      this.failed(this.error ?? connectionError('ECONNRESET', 'the machine closed the connection'));
    }
  }
}

function connectionError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

// Module-level listeners: no closure per connection or request.
function onSocketConnect(this: TaggedSocket): void {
  const conn = this[kConn]!;
  conn.connected = true;
  this.setTimeout(0);
}
function onSocketTimeout(this: TaggedSocket): void {
  this.destroy(connectionError('ETIMEDOUT', 'connecting to the machine timed out'));
}
function onSocketData(this: TaggedSocket, data: Buffer): void {
  this[kConn]!.handleData(data);
}
function onSocketEnd(this: TaggedSocket): void {
  this[kConn]!.handleEnd();
}
function onSocketError(this: TaggedSocket, err: NodeJS.ErrnoException): void {
  this[kConn]!.handleError(err);
}
function onSocketClose(this: TaggedSocket): void {
  this[kConn]!.handleClose();
}
function onSocketDrain(this: TaggedSocket): void {
  this[kConn]!.handler?.onUpstreamDrain();
}

/** The connections to one machine address. */
export class BackendPool {
  /** Idle connections, most recently used last (reused first: fewer sockets stay warm). */
  readonly idle: UpstreamConnection[] = [];
  active = 0;

  constructor(
    readonly address: string,
    readonly host: string,
    readonly port: number,
    readonly idleTimeoutMs: number,
    private readonly maxIdle: number,
  ) {}

  /** An exchange is done with a reusable connection. */
  release(conn: UpstreamConnection): void {
    if (conn.where !== 'active') return;
    this.active--;
    if (this.idle.length >= this.maxIdle) {
      conn.where = 'closed';
      conn.socket.destroy();
      return;
    }
    conn.where = 'idle';
    conn.idleSince = Date.now();
    this.idle.push(conn);
  }

  /** The connection closed (or is being closed), wherever it was. */
  forget(conn: UpstreamConnection): void {
    if (conn.where === 'idle') {
      const i = this.idle.indexOf(conn);
      if (i !== -1) this.idle.splice(i, 1);
    } else if (conn.where === 'active') {
      this.active--;
    }
    conn.where = 'closed';
  }
}

export class UpstreamPool {
  private readonly pools = new Map<string, BackendPool>();
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: UpstreamPoolOptions = {}) {
    this.maxIdle = options.maxIdlePerBackend ?? 256;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    // One timer for every idle socket instead of one per socket per request.
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /**
   * An idle connection to `host:port`, or a new one (possibly still connecting). `fresh` skips
   * idle ones, for a retry after a kept-alive socket turned out closed.
   */
  acquire(address: string, host: string, port: number, fresh = false): UpstreamConnection {
    let pool = this.pools.get(address);
    if (pool === undefined) {
      pool = new BackendPool(address, host, port, this.idleTimeoutMs, this.maxIdle);
      this.pools.set(address, pool);
    }
    let conn: UpstreamConnection | undefined;
    if (!fresh && pool.idle.length > 0) {
      const now = Date.now();
      while ((conn = pool.idle.pop()) !== undefined) {
        if (now - conn.idleSince < conn.idleLimitMs && !conn.socket.destroyed) {
          conn.where = 'active';
          pool.active++;
          return conn;
        }
        conn.where = 'closed';
        conn.socket.destroy();
      }
    }
    pool.active++;
    return new UpstreamConnection(pool, this.connectTimeoutMs);
  }

  /** Open connections per machine address (for metrics and tests). */
  stats(): PoolStats[] {
    return [...this.pools.values()].map((p) => ({
      address: p.address,
      active: p.active,
      idle: p.idle.length,
    }));
  }

  /** Close the idle connections to `host:port` (a machine there was lost: they went silent). */
  closeIdle(address: string): void {
    const pool = this.pools.get(address);
    if (pool === undefined) return;
    for (const conn of pool.idle.splice(0)) {
      conn.where = 'closed';
      conn.socket.destroy();
    }
  }

  /** Close every idle connection and stop the sweeper; active ones close with their exchange. */
  destroy(): void {
    clearInterval(this.sweeper);
    for (const pool of this.pools.values()) {
      for (const conn of pool.idle.splice(0)) {
        conn.where = 'closed';
        conn.socket.destroy();
      }
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [address, pool] of this.pools) {
      for (let i = pool.idle.length - 1; i >= 0; i--) {
        const conn = pool.idle[i]!;
        if (now - conn.idleSince >= conn.idleLimitMs) {
          pool.idle.splice(i, 1);
          conn.where = 'closed';
          conn.socket.destroy();
        }
      }
      if (pool.idle.length === 0 && pool.active === 0) this.pools.delete(address);
    }
  }
}

/** One exchange's connection to a machine, as the proxy drives it. */
export type UpstreamLink = Pick<
  UpstreamConnection,
  'send' | 'write' | 'writeChunk' | 'endRequest' | 'destroy' | 'pause' | 'resume'
>;

/**
 * Where the proxy gets connections to machines: UpstreamPool. The proxy benchmark passes one
 * built on node's http client instead, to keep measuring what the pool saves.
 */
export interface Upstream {
  acquire(address: string, host: string, port: number, fresh?: boolean): UpstreamLink;
  stats(): PoolStats[];
  closeIdle?(address: string): void;
  destroy(): void;
}
