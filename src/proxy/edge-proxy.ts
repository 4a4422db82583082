// The edge proxy: HTTP/1.1 and WebSocket upgrades, routed by Host to an app's machines.
//
// Client side: node's http server (its llhttp parser is strict about what clients send).
// Machine side: our own pooled HTTP/1.1 connections (upstream-pool.ts), several times cheaper
// than node's http client. This is the measured hot path: per request it allocates one
// Exchange, the request head string and the response header array; event handlers are
// module-level functions that find their Exchange through a symbol, not per-request closures.
import http from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { httpsRedirect } from '../core/net/https-redirect.js';
import { leastInFlight } from './balancer.js';
import type { ResponseHead } from './response-parser.js';
import type { BackendState, ResolvedRoute, RouteTable } from './route-table.js';
import type { WakeGate } from './wake-gate.js';
import {
  UpstreamPool,
  type PoolStats,
  type Upstream,
  type UpstreamFailure,
  type UpstreamHandler,
  type UpstreamLink,
  type UpstreamPoolOptions,
} from './upstream-pool.js';
import { listenOn } from './listen.js';

export interface EdgeProxyOptions {
  routes: RouteTable;
  /** Apps are served at `<app>.<domain>`. */
  domain: string;
  pool?: UpstreamPoolOptions;
  /** Connections to machines; default: an UpstreamPool with `pool`'s options. */
  upstream?: Upstream;
  /** How long close() lets in-flight requests finish before cutting connections. */
  closeGraceMs?: number;
}

/** What a listener is, for the requests it accepts: one object per listener, not per request. */
export interface ListenerContext {
  /** "https" on the TLS listener: x-forwarded-proto says so and force_https does not apply. */
  readonly scheme: 'http' | 'https';
  /** A listener dedicated to one app (`berth ips allocate`): every request goes there. */
  readonly app?: string;
}

const PLAIN: ListenerContext = { scheme: 'http' };

const kExchange = Symbol('berth.exchange');
type Tagged<T> = T & { [kExchange]?: Exchange };

const BODY_NONE = 0;
const BODY_LENGTH = 1; // Content-Length: bytes go through as they are
const BODY_CHUNKED = 2; // node de-chunked it; we chunk it again for the machine

/** One proxied request: which machine serves it and the two halves being connected. */
class Exchange implements UpstreamHandler {
  conn: UpstreamLink | null = null;
  /** The client side is finished or gone; later upstream events are ignored. */
  closed = false;
  /** Response headers have been written to the client. */
  responded = false;
  ended = false;
  attempts = 0;
  body = BODY_NONE;
  head = '';
  private drainHooked = false;

  constructor(
    readonly proxy: EdgeProxy,
    readonly req: Tagged<http.IncomingMessage>,
    readonly res: Tagged<http.ServerResponse>,
    readonly route: ResolvedRoute,
    public backend: BackendState,
  ) {}

  /** Send the request to `backend` on a pooled (or, when `fresh`, a new) connection. */
  start(fresh: boolean): void {
    const b = this.backend;
    const conn = this.proxy.pool.acquire(b.address, b.host, b.port, fresh);
    this.conn = conn;
    this.attempts++;
    conn.send(this, this.head, this.req.method !== 'HEAD', this.body === BODY_NONE);
    if (this.body !== BODY_NONE && this.attempts === 1) {
      this.req.on('data', onClientData);
      this.req.on('end', onClientEnd);
    }
  }

  onResponseHead(head: ResponseHead): void {
    if (this.closed) return;
    const headers = responseHeaders(head);
    headers.push('berth-machine', this.backend.machineId);
    try {
      this.res.writeHead(head.status, head.reason || undefined, headers);
    } catch {
      // node refused a header name or value the machine sent.
      this.conn?.destroy();
      this.conn = null;
      this.badGateway('sent response headers that are not valid HTTP');
      return;
    }
    this.responded = true;
  }

  onResponseBody(chunk: Buffer, last: boolean): void {
    if (this.closed) return;
    if (last) {
      this.ended = true;
      this.res.end(chunk);
    } else if (!this.res.write(chunk)) {
      // Slow client: stop reading from the machine until the client catches up.
      this.conn?.pause();
      if (!this.drainHooked) {
        this.drainHooked = true;
        this.res.on('drain', onClientDrain);
      }
    }
  }

  onResponseEnd(): void {
    this.conn = null;
    if (this.closed || this.ended) return;
    this.ended = true;
    this.res.end();
  }

  onUpstreamFailure(f: UpstreamFailure): void {
    this.conn = null;
    if (this.closed) return;
    // Once the status is sent all we can do is cut the client off, so it sees a truncated
    // response rather than a complete-looking one.
    if (this.responded) {
      this.res.destroy();
      return;
    }
    if (this.retriable(f)) {
      if (!f.connected) {
        // Refused or timed out: nothing was sent, so any other machine will do.
        const next = leastInFlight(
          this.route.backends.filter((b) => b !== this.backend),
          this.proxy.nextCursor(),
        );
        if (next !== undefined) {
          this.backend.inFlight--;
          next.inFlight++;
          this.backend = next;
        }
      }
      this.start(f.reused);
      return;
    }
    this.badGateway(describeConnectError(f.error));
  }

  onUpstreamDrain(): void {
    this.req.resume();
  }

  // One retry, and only when no request body would have to be replayed: after a refused or
  // timed-out connect (the machine saw nothing), or when a kept-alive socket turned out to be
  // closed before any response byte and the method is safe to repeat.
  private retriable(f: UpstreamFailure): boolean {
    if (this.attempts > 1 || this.body !== BODY_NONE || f.responded) return false;
    if (!f.connected) return true;
    const m = this.req.method;
    return f.reused && (m === 'GET' || m === 'HEAD' || m === 'OPTIONS');
  }

  private badGateway(reason: string): void {
    const b = this.backend;
    const app = this.route.app;
    sendText(
      this.res,
      502,
      `berth could not get a response from app "${app}": machine ${b.machineId} at ${b.address} ${reason}.\n` +
        `The machine may be starting, stopping or crashed; \`berth status -a ${app}\` and \`berth logs -a ${app}\` show what it is doing.\n`,
    );
  }
}

export class EdgeProxy {
  readonly routes: RouteTable;
  readonly domain: string;
  readonly pool: Upstream;
  private readonly server: http.Server;
  private readonly tunnels = new Set<Tunnel>();
  private readonly closeGraceMs: number;
  /** Set by the daemon: holds requests for an app with no started machine while one wakes. */
  wakeGate: WakeGate | undefined;
  /** Rotating start for the balancer, so ties between idle machines take turns. */
  private cursor = 0;
  /** The TLS listener's port, once it listens: force_https redirects there. */
  tlsPort: number | undefined;

  constructor(options: EdgeProxyOptions) {
    this.routes = options.routes;
    this.domain = options.domain;
    // The table resolves `<app>.<domain>`; one source for the domain.
    this.routes.setDomain(options.domain);
    this.pool = options.upstream ?? new UpstreamPool(options.pool);
    this.closeGraceMs = options.closeGraceMs ?? 5_000;
    this.server = http.createServer({
      // Long enough that browsers and load balancers reuse connections, short enough that
      // idle ones do not pile up.
      keepAliveTimeout: 60_000,
      // Slow header senders are cut off; slow bodies (large uploads) are not.
      headersTimeout: 30_000,
      requestTimeout: 0,
      noDelay: true,
    });
    this.attach(this.server, PLAIN);
  }

  /**
   * Serves a listener's requests and upgrades exactly as this proxy's own: the TLS listener
   * and listeners dedicated to one app use it. The listener's owner listens and closes it.
   */
  attach(server: http.Server | https.Server, context: ListenerContext): void {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      this.handle(req, res, context),
    );
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head, context),
    );
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return listenOn(this.server, host, port);
  }

  /** Stop accepting, let in-flight requests finish (up to closeGraceMs), close everything. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const grace = setTimeout(() => this.server.closeAllConnections(), this.closeGraceMs);
      grace.unref();
      this.server.close(() => {
        clearTimeout(grace);
        this.pool.destroy();
        resolve();
      });
      this.server.closeIdleConnections();
      for (const tunnel of this.tunnels) tunnel.close();
    });
  }

  /**
   * Closes the WebSocket tunnels to a machine: called at its drain deadline, so long-lived
   * connections do not hold a retired machine past kill_timeout. Returns how many closed.
   */
  closeTunnelsTo(machineId: string): number {
    let closed = 0;
    for (const tunnel of this.tunnels) {
      if (tunnel.machineId !== machineId) continue;
      tunnel.close();
      closed++;
    }
    return closed;
  }

  /** Upstream connections per machine address. */
  poolStats(): PoolStats[] {
    return this.pool.stats();
  }

  nextCursor(): number {
    const c = this.cursor;
    this.cursor = c === 0x3fffffff ? 0 : c + 1;
    return c;
  }

  private handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    context: ListenerContext,
    woken = false,
  ): void {
    const host = findHeader(req.rawHeaders, 'host');
    const route = context.app === undefined ? this.routes.resolve(host) : this.routes.resolveApp(context.app);
    if (route === undefined) return this.notFound(res, host, context);
    if (
      route.forceHttps &&
      context.scheme === 'http' &&
      context.app === undefined &&
      this.tlsPort !== undefined
    ) {
      return this.redirectToHttps(req, res, host!);
    }
    const backend = leastInFlight(route.backends, this.nextCursor());
    if (backend === undefined) {
      if (this.wakeGate === undefined || woken) return this.unavailable(res, route.app);
      return this.wakeGate.hold(route.app, res, (outcome) =>
        outcome.woken
          ? this.handle(req, res, context, true)
          : this.unavailable(res, route.app, outcome.reason),
      );
    }

    backend.inFlight++;
    backend.requests++;
    const ex = new Exchange(this, req, res, route, backend);
    ex.head = requestHead(req, host, false, ex, context.scheme);
    (req as Tagged<http.IncomingMessage>)[kExchange] = ex;
    (res as Tagged<http.ServerResponse>)[kExchange] = ex;
    res.on('close', onClientClose);
    ex.start(false);
  }

  private redirectToHttps(req: http.IncomingMessage, res: http.ServerResponse, host: string): void {
    const { status, location } = httpsRedirect(req.method ?? 'GET', host, req.url ?? '/', this.tlsPort!);
    res.writeHead(status, { location, 'content-type': 'text/plain; charset=utf-8', 'content-length': 0 });
    res.end();
  }

  private notFound(res: http.ServerResponse, host: string | undefined, context: ListenerContext): void {
    if (context.app !== undefined) {
      return sendText(
        res,
        404,
        `berth: app "${context.app}", which this address is allocated to, no longer exists.\n`,
      );
    }
    const asked = host === undefined ? 'no Host header was sent' : `no app is served at "${host}"`;
    sendText(
      res,
      404,
      `berth: ${asked}.\n` +
        `This berth serves apps at <app>.${this.domain} (any port) and at hostnames added to an app.\n` +
        'Check the name; `berth apps list` shows the apps that exist.\n',
    );
  }

  private unavailable(res: http.ServerResponse, app: string, reason?: string): void {
    res.setHeader('retry-after', '1');
    sendText(
      res,
      503,
      reason ??
        `berth: app "${app}" has no running machine right now (it may be deploying or scaled to zero).\n` +
          `Try again in a moment; \`berth status -a ${app}\` shows its machines.\n`,
    );
  }

  // WebSocket and other upgrades: replay the request head on a raw connection to the machine,
  // then splice the two sockets. The machine's own 101 (or refusal) goes back untouched.
  private upgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    context: ListenerContext,
    woken = false,
  ): void {
    socket.on('error', ignoreError);
    const host = findHeader(req.rawHeaders, 'host');
    const route = context.app === undefined ? this.routes.resolve(host) : this.routes.resolveApp(context.app);
    if (route === undefined) {
      socket.end(rawTextResponse(404, `berth: no app is served at "${host ?? ''}".\n`));
      return;
    }
    const backend = leastInFlight(route.backends, this.nextCursor());
    if (backend === undefined) {
      const refuse = (reason?: string): void => {
        socket.end(
          rawTextResponse(
            503,
            reason ?? `berth: app "${route.app}" has no running machine right now.\n`,
            true,
          ),
        );
      };
      if (this.wakeGate === undefined || woken) return refuse();
      return this.wakeGate.hold(route.app, socket, (outcome) =>
        outcome.woken ? this.upgrade(req, socket, head, context, true) : refuse(outcome.reason),
      );
    }
    const requestText = requestHead(req, host, true, { body: BODY_NONE }, context.scheme);
    const upstream = net.connect({ host: backend.host, port: backend.port, noDelay: true });
    const tunnel = new Tunnel(this.tunnels, backend, socket, upstream);
    upstream.on('connect', () => {
      tunnel.connected = true;
      upstream.write(requestText, 'latin1');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!tunnel.connected && socket.writable) {
        socket.end(
          rawTextResponse(
            502,
            `berth could not reach app "${route.app}": machine ${backend.machineId} at ${backend.address} ${describeConnectError(err)}.\n`,
          ),
        );
      }
      tunnel.close();
    });
  }
}

/** An upgraded connection, counted in flight on its machine until either side closes. */
class Tunnel {
  connected = false;
  private done = false;

  constructor(
    private readonly registry: Set<Tunnel>,
    private readonly backend: BackendState,
    private readonly client: Duplex,
    private readonly upstream: net.Socket,
  ) {
    backend.inFlight++;
    backend.requests++;
    registry.add(this);
    const close = () => this.close();
    client.on('close', close);
    upstream.on('close', close);
  }

  get machineId(): string {
    return this.backend.machineId;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.backend.inFlight--;
    this.registry.delete(this);
    // Let a pending error response reach the client before its socket goes.
    if (this.client.writableLength > 0 && !this.client.writableEnded) this.client.end();
    else this.client.destroy();
    this.upstream.destroy();
  }
}

// --- event handlers (module level: no closure per request) ---

// The response is done or the client went away: the machine is no longer serving it for us.
function onClientClose(this: Tagged<http.ServerResponse>): void {
  const ex = this[kExchange]!;
  if (ex.closed) return;
  ex.closed = true;
  ex.backend.inFlight--;
  if (ex.conn !== null) {
    ex.conn.destroy();
    ex.conn = null;
  }
}

function onClientData(this: Tagged<http.IncomingMessage>, chunk: Buffer): void {
  const ex = this[kExchange]!;
  const conn = ex.conn;
  if (conn === null) return;
  const ok = ex.body === BODY_CHUNKED ? conn.writeChunk(chunk) : conn.write(chunk);
  if (!ok) this.pause();
}

function onClientEnd(this: Tagged<http.IncomingMessage>): void {
  const ex = this[kExchange]!;
  ex.conn?.endRequest(ex.body === BODY_CHUNKED);
}

function onClientDrain(this: Tagged<http.ServerResponse>): void {
  this[kExchange]!.conn?.resume();
}

function ignoreError(): void {}

// --- headers ---

/** The value of a header in node's flat rawHeaders array; `name` is lower case. */
function findHeader(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && (key === name || key.toLowerCase() === name)) return raw[i + 1];
  }
  return undefined;
}

/**
 * The request head for the machine: the client's request line and headers, less hop-by-hop
 * ones (upgrades keep `connection` and `upgrade`), plus x-forwarded-* and via. Sets
 * `framing.body` to how the body is framed. Node's parser has already rejected header names
 * and values that could break the framing, so they are copied verbatim.
 */
function requestHead(
  req: http.IncomingMessage,
  host: string | undefined,
  upgrade: boolean,
  framing: { body: number },
  scheme: 'http' | 'https',
): string {
  const raw = req.rawHeaders;
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let body = BODY_NONE;
  let forwardedFor: string | undefined;
  let extraHop: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    const value = raw[i + 1]!;
    switch (key.length) {
      case 2: // te
        if (key.toLowerCase() === 'te') continue;
        break;
      case 6: // expect: node has already answered 100-continue and the body is on its way
        if (key.toLowerCase() === 'expect') continue;
        break;
      case 7: {
        const lower = key.toLowerCase();
        if (lower === 'trailer') continue;
        if (lower === 'upgrade' && !upgrade) continue;
        break;
      }
      case 10: {
        const lower = key.toLowerCase();
        if (lower === 'keep-alive') continue;
        if (lower === 'connection') {
          extraHop = connectionTokens(value, extraHop);
          if (!upgrade) continue;
        }
        break;
      }
      case 14: // content-length
        if (body === BODY_NONE && value !== '0' && key.toLowerCase() === 'content-length') body = BODY_LENGTH;
        break;
      case 15: // x-forwarded-for: the client's chain, extended below
        if (key.toLowerCase() === 'x-forwarded-for') {
          forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
          continue;
        }
        break;
      case 16: // x-forwarded-host: we are the edge, so a client's own claim is not passed on
        if (key.toLowerCase() === 'x-forwarded-host') continue;
        break;
      case 17: {
        const lower = key.toLowerCase();
        if (lower === 'transfer-encoding') {
          // node has de-chunked the body; we chunk it again (and it wins over Content-Length).
          body = BODY_CHUNKED;
          text += 'transfer-encoding: chunked\r\n';
          continue;
        }
        if (lower === 'x-forwarded-proto') continue;
        break;
      }
    }
    if (key.length > 6 && (key.charCodeAt(0) | 0x20) === 0x70 /* p */ && isProxyHeader(key)) continue;
    text += key + ': ' + value + '\r\n';
  }
  if (body === BODY_CHUNKED) text = dropContentLength(text);
  if (extraHop !== undefined) text = dropNamed(text, extraHop);

  let peer = req.socket.remoteAddress ?? '';
  if (peer.startsWith('::ffff:')) peer = peer.slice(7);
  text += 'x-forwarded-for: ' + (forwardedFor === undefined ? peer : `${forwardedFor}, ${peer}`) + '\r\n';
  text += scheme === 'https' ? 'x-forwarded-proto: https\r\n' : 'x-forwarded-proto: http\r\n';
  if (host !== undefined) text += 'x-forwarded-host: ' + host + '\r\n';
  // HTTP/1.1 is keep-alive unless a side says close: no Connection header needed.
  text += 'via: 1.1 berth\r\n\r\n';
  framing.body = body;
  return text;
}

/** The machine's response headers for the client, in place: less hop-by-hop ones and framing. */
function responseHeaders(head: ResponseHead): string[] {
  const h = head.headers;
  let extraHop: string[] | undefined;
  let w = 0;
  for (let r = 0; r < h.length; r += 2) {
    const key = h[r]!;
    const value = h[r + 1]!;
    switch (key.length) {
      case 7:
        if (key.toLowerCase() === 'trailer') continue;
        break;
      case 10: {
        const lower = key.toLowerCase();
        if (lower === 'keep-alive') continue;
        if (lower === 'connection') {
          extraHop = connectionTokens(value, extraHop);
          continue;
        }
        break;
      }
      case 14: // a chunked body has no trustworthy length; node frames it for the client
        if (head.chunked && key.toLowerCase() === 'content-length') continue;
        break;
      case 17:
        if (key.toLowerCase() === 'transfer-encoding') continue;
        break;
    }
    if (key.length > 6 && (key.charCodeAt(0) | 0x20) === 0x70 /* p */ && isProxyHeader(key)) continue;
    h[w++] = key;
    h[w++] = value;
  }
  h.length = w;
  if (extraHop !== undefined) {
    for (let i = h.length - 2; i >= 0; i -= 2) {
      if (extraHop.includes(h[i]!.toLowerCase())) h.splice(i, 2);
    }
  }
  return h;
}

function isProxyHeader(key: string): boolean {
  return key.slice(0, 6).toLowerCase() === 'proxy-';
}

// `Connection: close, X-Foo` makes X-Foo hop-by-hop too. The usual values name nothing extra.
function connectionTokens(value: string, into: string[] | undefined): string[] | undefined {
  const v = value.toLowerCase();
  if (v === 'keep-alive' || v === 'close' || v === 'upgrade') return into;
  for (const token of v.split(',')) {
    const t = token.trim();
    if (t === '' || t === 'keep-alive' || t === 'close' || t === 'upgrade') continue;
    (into ??= []).push(t);
  }
  return into;
}

// Rare paths (a Connection header naming other headers, Content-Length beside chunked):
// filter the finished head's lines.
function dropNamed(text: string, names: string[]): string {
  const lines = text.split('\r\n');
  return lines
    .filter((line, i) => i === 0 || !names.includes(line.slice(0, line.indexOf(':')).toLowerCase()))
    .join('\r\n');
}

function dropContentLength(text: string): string {
  return dropNamed(text, ['content-length']);
}

// --- plain text answers ---

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function rawTextResponse(status: number, text: string, retry = false): string {
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
    'content-type: text/plain; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(text)}\r\n` +
    (retry ? 'retry-after: 1\r\n' : '') +
    'connection: close\r\n\r\n' +
    text
  );
}

function describeConnectError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused the connection (nothing is listening on that port)';
    case 'ECONNRESET':
      return 'closed the connection before answering';
    case 'ETIMEDOUT':
      return 'did not answer in time';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'is unreachable from the proxy';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'has a host name that does not resolve';
    case 'EPROTO':
      return `sent a response berth could not read (${err.message})`;
    default:
      return `failed (${err.code ?? 'connection error'})`;
  }
}
