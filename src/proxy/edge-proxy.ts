// The edge proxy: HTTP/1.1 and WebSocket upgrades, routed by Host to an app's machines.
//
// Client side: berth's own HTTP/1.1 server on raw sockets (client-connection.ts, with a request
// parser at least as strict as node's llhttp), several times cheaper than node's http server;
// listeners the daemon opens with node:http are served through NodeClient.
// Machine side: our own pooled HTTP/1.1 connections (upstream-pool.ts), several times cheaper
// than node's http client. This is the measured hot path: per request it allocates one
// Exchange, the parsed head, the request head string and the response header array; event
// handlers are module-level functions, not per-request closures.
// Time limits set no timer per request either: the hot path bumps counters on the Exchange and
// one interval sweeps the exchanges in flight (see EdgeProxy.sweep).
// Metrics the same way: a finished exchange adds its status, latency and bytes to the
// preallocated counters of its machine's app and release (route-table.ts, core/metrics/meter.ts).
import http from 'node:http';
import type https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { countRequest, statusSlot } from '../core/metrics/meter.js';
import { httpsRedirect } from '../core/net/https-redirect.js';
import { leastInFlight } from './balancer.js';
import {
  DEFAULT_CONNECTION_TIMEOUTS,
  type ConnectionTimeouts,
  type RequestDispatcher,
} from './client-connection.js';
import { ClientListener } from './client-listener.js';
import type { ClientHandler, ClientSide, ListenerContext } from './client-side.js';
import {
  BODY_RATE_GRACE_MS,
  DEFAULT_PROXY_LIMITS,
  seconds,
  sweepIntervalMs,
  type ProxyLimits,
} from './limits.js';
import { NodeClient } from './node-client.js';
import { RequestQueues } from './request-queue.js';
import { BODY_CHUNKED, BODY_LENGTH, BODY_NONE } from './request-parser.js';
import { ResponseParseError, ResponseParser } from './response-parser.js';
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
import { closeHttpServer, listenOn } from './listen.js';

export interface EdgeProxyOptions {
  routes: RouteTable;
  /** Apps are served at `<app>.<domain>`. */
  domain: string;
  /** Time limits, queueing and trusted proxies; each one missing takes its default. */
  limits?: Partial<ProxyLimits>;
  pool?: Omit<UpstreamPoolOptions, 'connectTimeoutMs'>;
  /** Connections to machines; default: an UpstreamPool with `pool`'s options and the connect timeout. */
  upstream?: Upstream;
  /** How long close() lets in-flight requests finish before cutting connections. */
  closeGraceMs?: number;
  /**
   * Which HTTP server reads clients' requests on the proxy's own listeners: berth's own
   * (default) or node's (the benchmark keeps measuring what berth's saves).
   */
  httpServer?: HttpServerKind;
  /** Keep-alive and request head timeouts of berth's own server (tests shorten them). */
  connectionTimeouts?: ConnectionTimeouts;
}

export type HttpServerKind = 'berth' | 'node';
export type { ListenerContext } from './client-side.js';

const PLAIN: ListenerContext = { scheme: 'http' };

/** node's http server, where it serves: the limits berth's own server keeps too. */
const NODE_SERVER_OPTIONS: http.ServerOptions = {
  // Long enough that browsers and load balancers reuse connections, short enough that idle
  // ones do not pile up.
  keepAliveTimeout: 60_000,
  // Slow header senders are cut off here; request bodies by the sweep.
  headersTimeout: 30_000,
  requestTimeout: 0,
  noDelay: true,
};

const kTrusted = Symbol('berth.trusted');
type PeerSocket = net.Socket & { [kTrusted]?: boolean };

/** What the proxy reads of a request to route it and write its head for the machine. */
type RequestInfo = Pick<ClientSide, 'method' | 'url' | 'rawHeaders' | 'host' | 'socket'>;

/** One proxied request: which machine serves it and the two halves being connected. */
class Exchange implements UpstreamHandler, ClientHandler {
  conn: UpstreamLink | null = null;
  /** The client side is finished or gone; later upstream events are ignored. */
  closed = false;
  /** Response headers have been written to the client. */
  responded = false;
  ended = false;
  attempts = 0;
  body = BODY_NONE;
  head = '';
  /** The status sent to the client (the machine's or the proxy's own); 0 until one is. */
  status = 0;
  /** performance.now() when the request was routed: its latency runs to the response's end. */
  startedAt = 0;
  /** Response body bytes passed to the client. */
  bytesOut = 0;

  // Deadlines. The hot path only bumps counters; the sweep compares them with what it saw at
  // its last pass and notes when a wait began (see checkDeadlines).
  sweepPrev: Exchange | null = null;
  sweepNext: Exchange | null = null;
  swept = false;
  /** The whole request body has been read from the client. */
  bodyDone = false;
  bodyBytes = 0;
  /** Response body chunks from the machine plus drains of the client: progress either way. */
  moves = 0;
  private seenBytes = -1;
  private seenMoves = -1;
  /** When the current wait (for body bytes, response headers, or response progress) began. */
  private since = 0;
  /** When the machine stopped taking request body bytes (0: it takes them). */
  private stalledSince = 0;
  private rateSince = 0;
  private rateBytes = 0;

  constructor(
    readonly proxy: EdgeProxy,
    readonly client: ClientSide,
    readonly route: ResolvedRoute,
    public backend: BackendState,
  ) {}

  /** Send the request to `backend` on a pooled (or, when `fresh`, a new) connection. */
  start(fresh: boolean): void {
    const b = this.backend;
    const conn = this.proxy.pool.acquire(b.address, b.host, b.port, fresh);
    this.conn = conn;
    this.attempts++;
    conn.send(this, this.head, this.client.method !== 'HEAD', this.body === BODY_NONE);
    // The body (if any) starts flowing to the machine.
    if (this.attempts === 1) this.client.bind(this);
  }

  onResponseHead(head: ResponseHead): void {
    if (this.closed) return;
    const headers = responseHeaders(head);
    headers.push('berth-machine', this.backend.machineId);
    if (!this.client.writeHead(head.status, head.reason, headers, head.chunked)) {
      this.conn?.destroy();
      this.conn = null;
      this.badGateway('sent response headers that are not valid HTTP');
      return;
    }
    this.responded = true;
    this.status = head.status;
  }

  onResponseBody(chunk: Buffer, last: boolean): void {
    if (this.closed) return;
    this.moves++;
    this.bytesOut += chunk.length;
    if (last) {
      // The connection goes back to the pool on its own: ending the client must not close it.
      this.conn = null;
      this.ended = true;
      this.client.end(chunk);
    } else if (!this.client.write(chunk)) {
      // Slow client: stop reading from the machine until the client catches up.
      this.conn?.pause();
    }
  }

  onResponseEnd(): void {
    this.conn = null;
    if (this.closed || this.ended) return;
    this.ended = true;
    this.client.end();
  }

  onUpstreamFailure(f: UpstreamFailure): void {
    this.conn = null;
    if (this.closed) return;
    // Once the status is sent all we can do is cut the client off, so it sees a truncated
    // response rather than a complete-looking one.
    if (this.responded) {
      this.client.destroy();
      return;
    }
    if (this.retriable(f)) {
      if (!f.connected) {
        // A machine whose host no longer answers at all (a cut network) leaves a connect timed
        // out, and any kept-alive connection to it silent: none of those is used again.
        if (f.error.code === 'ETIMEDOUT') this.proxy.pool.closeIdle?.(this.backend.address);
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
    this.badGateway(describeConnectError(f.error, this.proxy.limits.connectTimeoutMs));
  }

  onUpstreamDrain(): void {
    this.client.resumeBody();
  }

  // ClientHandler: the client side's events.

  // The response is done or the client went away: the machine is no longer serving it for us.
  onClientClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.backend.inFlight--;
    countRequest(
      this.backend.meter,
      this.status,
      performance.now() - this.startedAt,
      this.bodyBytes,
      this.bytesOut,
    );
    this.proxy.unwatch(this);
    if (this.conn !== null) {
      this.conn.destroy();
      this.conn = null;
    }
    if (this.backend.hardLimit !== Infinity) this.proxy.slotFreed(this.route.app);
  }

  onClientData(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    const conn = this.conn;
    if (conn === null) return;
    const ok = this.body === BODY_CHUNKED ? conn.writeChunk(chunk) : conn.write(chunk);
    if (!ok) this.client.pauseBody();
  }

  onClientEnd(): void {
    this.bodyDone = true;
    this.conn?.endRequest(this.body === BODY_CHUNKED);
  }

  onClientDrain(): void {
    this.moves++;
    this.conn?.resume();
  }

  /**
   * Its machine can no longer be reached (its node was lost: the connection went silent, and
   * no reset or close will come). A safe request with no body that has no answer yet goes to
   * another machine, as after a stale keep-alive socket; any other gets its 502 now rather
   * than at the response timeout.
   */
  abandon(): void {
    if (this.closed || this.ended) return;
    this.conn?.destroy();
    this.conn = null;
    if (this.responded) {
      this.cutOff();
      this.client.destroy();
      return;
    }
    const lost = this.backend;
    const m = this.client.method;
    const next =
      this.body === BODY_NONE && (m === 'GET' || m === 'HEAD' || m === 'OPTIONS')
        ? leastInFlight(
            this.route.backends.filter((b) => b.machineId !== lost.machineId),
            this.proxy.nextCursor(),
          )
        : undefined;
    if (next === undefined) {
      this.cutOff();
      this.badGateway('became unreachable (its host was lost)');
      return;
    }
    lost.inFlight--;
    next.inFlight++;
    this.backend = next;
    // The response header timeout starts again with the new machine.
    this.seenMoves = -1;
    this.start(true);
  }

  // One retry, and only when no request body would have to be replayed: after a refused or
  // timed-out connect (the machine saw nothing), or when a kept-alive socket turned out to be
  // closed before any response byte and the method is safe to repeat.
  private retriable(f: UpstreamFailure): boolean {
    if (this.attempts > 1 || this.body !== BODY_NONE || f.responded) return false;
    if (!f.connected) return true;
    const m = this.client.method;
    return f.reused && (m === 'GET' || m === 'HEAD' || m === 'OPTIONS');
  }

  private badGateway(reason: string): void {
    this.status = 502;
    this.client.sendText(502, machineProblem(this.route.app, this.backend, reason));
  }

  /**
   * One pass of the proxy's sweep (`now` in ms). In order: the request body is being read
   * (the client must keep sending, the machine must keep reading), then the response headers
   * are awaited, then the response body must keep moving.
   */
  checkDeadlines(now: number, l: ProxyLimits): void {
    if (this.body !== BODY_NONE && !this.bodyDone && !this.responded) {
      if (this.client.bodyPaused) {
        // The machine is not reading what we send: its deadline, and the client's clocks
        // start again when it reads.
        this.rateSince = 0;
        this.seenBytes = -1;
        if (this.stalledSince === 0) this.stalledSince = now;
        else if (now - this.stalledSince >= l.responseIdleTimeoutMs) {
          this.gatewayTimeout(`did not read the request body for ${seconds(l.responseIdleTimeoutMs)}`);
        }
        return;
      }
      this.stalledSince = 0;
      if (this.bodyBytes !== this.seenBytes) {
        this.seenBytes = this.bodyBytes;
        this.since = now;
      } else if (now - this.since >= l.requestBodyTimeoutMs) {
        return this.requestTimeout(
          `no byte of the request body arrived for ${seconds(l.requestBodyTimeoutMs)}`,
        );
      }
      if (l.requestBodyMinRate > 0) {
        if (this.rateSince === 0) {
          this.rateSince = now;
          this.rateBytes = this.bodyBytes;
        } else {
          const elapsed = now - this.rateSince;
          if (
            elapsed >= BODY_RATE_GRACE_MS &&
            (this.bodyBytes - this.rateBytes) * 1000 < l.requestBodyMinRate * elapsed
          ) {
            this.requestTimeout(`the request body arrived slower than ${l.requestBodyMinRate} bytes/s`);
          }
        }
      }
      return;
    }
    if (!this.responded) {
      if (this.seenMoves !== -2) {
        // First pass since the request was sent in full.
        this.seenMoves = -2;
        this.since = now;
      } else if (now - this.since >= l.responseHeaderTimeoutMs) {
        this.gatewayTimeout(`did not send response headers within ${seconds(l.responseHeaderTimeoutMs)}`);
      }
      return;
    }
    if (this.moves !== this.seenMoves) {
      this.seenMoves = this.moves;
      this.since = now;
    } else if (now - this.since >= l.responseIdleTimeoutMs) {
      // Headers are out: all we can do is cut the client off, so it sees a truncated response.
      this.cutOff();
      this.client.destroy();
    }
  }

  private cutOff(): void {
    this.proxy.unwatch(this);
    if (this.conn !== null) {
      this.conn.destroy();
      this.conn = null;
    }
  }

  private gatewayTimeout(reason: string): void {
    this.cutOff();
    if (this.responded) return void this.client.destroy();
    this.status = 504;
    this.client.sendText(504, machineProblem(this.route.app, this.backend, reason));
  }

  private requestTimeout(reason: string): void {
    this.cutOff();
    if (this.responded) return void this.client.destroy();
    // The rest of the body is not worth reading: close the connection after the answer.
    this.status = 408;
    this.client.sendText(
      408,
      `berth: the request to app "${this.route.app}" was cut off: ${reason}.\n` +
        'Send the request body without long pauses.\n',
      [],
      true,
    );
  }
}

/** The body of a 502 or 504 about a machine: which app, which machine, what it did. */
function machineProblem(app: string, b: BackendState, reason: string): string {
  return (
    `berth could not get a response from app "${app}": machine ${b.machineId} at ${b.address} ${reason}.\n` +
    `The machine may be starting, stopping, crashed or stuck; \`berth status -a ${app}\` and \`berth logs -a ${app}\` show what it is doing.\n`
  );
}

export class EdgeProxy implements RequestDispatcher {
  readonly routes: RouteTable;
  readonly domain: string;
  readonly pool: Upstream;
  readonly limits: ProxyLimits;
  readonly httpServer: HttpServerKind;
  /** The plain listener: node's http server, or a net.Server feeding berth's. */
  private readonly server: http.Server | undefined;
  private readonly listener: ClientListener | undefined;
  /** Listeners on berth's own server (the plain one, TLS), for the sweep. */
  private readonly clientListeners = new Set<ClientListener>();
  private readonly connectionTimeouts: ConnectionTimeouts;
  readonly tunnels = new Set<Tunnel>();
  private readonly closeGraceMs: number;
  /** Exchanges in flight, for the deadline sweep: an intrusive list, nothing allocated. */
  private sweepHead: Exchange | null = null;
  private readonly sweeper: NodeJS.Timeout;
  private readonly queues: RequestQueues<ListenerContext>;
  /** Peers whose forwarding headers are believed; undefined when none are. */
  private readonly trusted: net.BlockList | undefined;
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
    this.limits = { ...DEFAULT_PROXY_LIMITS, ...options.limits };
    this.pool =
      options.upstream ??
      new UpstreamPool({ ...options.pool, connectTimeoutMs: this.limits.connectTimeoutMs });
    this.closeGraceMs = options.closeGraceMs ?? 5_000;
    this.queues = new RequestQueues(this.limits.queueLimit);
    if (this.limits.trustedProxies.length > 0) {
      this.trusted = new net.BlockList();
      for (const c of this.limits.trustedProxies) {
        this.trusted.addSubnet(c.address, c.prefix, c.family === 4 ? 'ipv4' : 'ipv6');
      }
    }
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs(this.limits));
    this.sweeper.unref();
    this.httpServer = options.httpServer ?? 'berth';
    this.connectionTimeouts = options.connectionTimeouts ?? DEFAULT_CONNECTION_TIMEOUTS;
    if (this.httpServer === 'berth') {
      // Keep-alive (60 s idle) and header (30 s) timeouts are the connections' own; request
      // bodies are timed by the sweep (requestBodyTimeoutMs and requestBodyMinRate), so a
      // large upload at a steady pace is never cut off.
      this.listener = this.serve(net.createServer({ allowHalfOpen: true, noDelay: true }), PLAIN);
    } else {
      this.server = http.createServer(NODE_SERVER_OPTIONS);
      this.attach(this.server, PLAIN);
    }
  }

  /**
   * Serves a listener's connections with berth's own HTTP server: the plain listener and the
   * TLS one (`secureConnection`). The listener's owner listens and closes it.
   */
  serve(
    server: net.Server,
    context: ListenerContext,
    event: 'connection' | 'secureConnection' = 'connection',
  ): ClientListener {
    const listener = new ClientListener(server, this, context, this.connectionTimeouts, event);
    this.clientListeners.add(listener);
    return listener;
  }

  /** A listener of serve() closed: idle ones at once, busy ones after their response, all by closeGraceMs. */
  async closeListener(listener: ClientListener): Promise<void> {
    await listener.close(this.closeGraceMs);
    this.clientListeners.delete(listener);
  }

  /**
   * Serves a node:http listener's requests and upgrades exactly as this proxy's own: listeners
   * dedicated to one app use it. The listener's owner listens and closes it.
   */
  attach(server: http.Server | https.Server, context: ListenerContext): void {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      this.request(new NodeClient(req, res), context),
    );
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(
        {
          method: req.method!,
          url: req.url!,
          rawHeaders: req.rawHeaders,
          host: findHeader(req.rawHeaders, 'host'),
          socket: req.socket,
        },
        socket,
        head,
        context,
      ),
    );
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return this.listener !== undefined
      ? this.listener.listen(host, port)
      : listenOn(this.server!, host, port);
  }

  /** Stop accepting, let in-flight requests finish (up to closeGraceMs), close everything. */
  async close(): Promise<void> {
    for (const tunnel of this.tunnels) tunnel.close();
    if (this.listener !== undefined) {
      await this.closeListener(this.listener);
    } else {
      await closeHttpServer(this.server!, this.closeGraceMs);
    }
    clearInterval(this.sweeper);
    this.pool.destroy();
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

  /**
   * A machine became unreachable (swarm: its node was lost): requests waiting on it go to
   * another machine (Exchange.abandon) and its idle connections are closed. Returns how many
   * requests were waiting on it.
   */
  abandonMachine(machineId: string, address: string | null): number {
    let waiting = 0;
    for (let ex = this.sweepHead; ex !== null;) {
      const next = ex.sweepNext;
      if (ex.backend.machineId === machineId) {
        waiting++;
        ex.abandon();
      }
      ex = next;
    }
    if (address !== null) this.pool.closeIdle?.(address);
    this.closeTunnelsTo(machineId);
    return waiting;
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

  watch(ex: Exchange): void {
    const head = this.sweepHead;
    ex.sweepNext = head;
    if (head !== null) head.sweepPrev = ex;
    this.sweepHead = ex;
    ex.swept = true;
  }

  unwatch(ex: Exchange): void {
    if (!ex.swept) return;
    ex.swept = false;
    const { sweepPrev: prev, sweepNext: next } = ex;
    if (prev !== null) prev.sweepNext = next;
    else this.sweepHead = next;
    if (next !== null) next.sweepPrev = prev;
    ex.sweepPrev = null;
    ex.sweepNext = null;
  }

  /** A machine of `app` has finished a request or a WebSocket: a queued request may go. */
  slotFreed(app: string): void {
    if (this.queues.size === 0) return;
    const route = this.routes.resolveApp(app);
    while (route !== undefined && underLimit(route.backends) !== undefined) {
      const next = this.queues.shift(app);
      if (next === undefined) return;
      this.request(next.client, next.context);
    }
  }

  // Every sweepIntervalMs: each exchange checks its deadlines, queued requests go to machines
  // that have room (one may have been added) or get their 503 when they waited too long.
  private sweep(): void {
    const now = Date.now();
    const limits = this.limits;
    for (let ex = this.sweepHead; ex !== null;) {
      const next = ex.sweepNext;
      ex.checkDeadlines(now, limits);
      ex = next;
    }
    for (const listener of this.clientListeners) listener.sweep(now);
    if (this.queues.size === 0) return;
    for (const app of this.queues.apps()) {
      this.slotFreed(app);
      for (const entry of this.queues.expire(app, now - limits.queueTimeoutMs)) {
        this.overLimit(
          entry.client,
          this.routes.resolveApp(app) ?? app,
          `waited ${seconds(limits.queueTimeoutMs)} for one to finish a request`,
        );
      }
    }
  }

  /** Whether a connection's peer is a trusted proxy (decided once per connection). */
  private trusts(socket: PeerSocket): boolean {
    if (this.trusted === undefined) return false;
    let trusted = socket[kTrusted];
    if (trusted === undefined) {
      let peer = socket.remoteAddress ?? '';
      let family: 'ipv4' | 'ipv6' = socket.remoteFamily === 'IPv6' ? 'ipv6' : 'ipv4';
      if (peer.startsWith('::ffff:') && peer.includes('.')) {
        peer = peer.slice(7);
        family = 'ipv4';
      }
      trusted = peer !== '' && this.trusted.check(peer, family);
      socket[kTrusted] = trusted;
    }
    return trusted;
  }

  /** A request read by either HTTP server: route it, queue it, or answer it. */
  request(client: ClientSide, context: ListenerContext, woken = false): void {
    const host = client.host;
    const route = context.app === undefined ? this.routes.resolve(host) : this.routes.resolveApp(context.app);
    if (route === undefined) return this.notFound(client, host, context);
    if (
      route.forceHttps &&
      context.scheme === 'http' &&
      context.app === undefined &&
      this.tlsPort !== undefined
    ) {
      return this.redirectToHttps(client, route, host!);
    }
    let backend = leastInFlight(route.backends, this.nextCursor());
    if (backend === undefined) {
      if (this.wakeGate === undefined || woken) return this.unavailable(client, route);
      return this.wakeGate.hold(route.app, client.closeSignal, (outcome) =>
        outcome.woken ? this.request(client, context, true) : this.unavailable(client, route, outcome.reason),
      );
    }
    if (backend.inFlight >= backend.hardLimit) {
      // The least busy machine is full (the others too, unless their limits differ): wait.
      backend = underLimit(route.backends);
      if (backend === undefined) {
        const queued = this.queues.push(route.app, { client, context, at: Date.now() });
        if (!queued) this.overLimit(client, route, `${this.limits.queueLimit} requests are already waiting`);
        return;
      }
    }

    backend.inFlight++;
    backend.requests++;
    const ex = new Exchange(this, client, route, backend);
    ex.startedAt = performance.now();
    ex.head = requestHead(client, host, false, ex, context.scheme, this.trusts(client.socket));
    this.watch(ex);
    ex.start(false);
  }

  private redirectToHttps(client: ClientSide, route: ResolvedRoute, host: string): void {
    const { status, location } = httpsRedirect(client.method, host, client.url, this.tlsPort!);
    countAnswer(route, status);
    client.sendText(status, '', ['location', location]);
  }

  private notFound(client: ClientSide, host: string | undefined, context: ListenerContext): void {
    if (context.app !== undefined) {
      return client.sendText(
        404,
        `berth: app "${context.app}", which this address is allocated to, no longer exists.\n`,
      );
    }
    const asked = host === undefined ? 'no Host header was sent' : `no app is served at "${host}"`;
    client.sendText(
      404,
      `berth: ${asked}.\n` +
        `This berth serves apps at <app>.${this.domain} (any port) and at hostnames added to an app.\n` +
        'Check the name; `berth apps list` shows the apps that exist.\n',
    );
  }

  private overLimit(client: ClientSide, route: ResolvedRoute | string, why: string): void {
    const app = typeof route === 'string' ? route : route.app;
    if (typeof route !== 'string') countAnswer(route, 503);
    client.sendText(
      503,
      `berth: every machine of app "${app}" is serving its concurrency hard_limit of requests, and ${why}.\n` +
        'Try again in a moment; raise [http_service.concurrency] hard_limit or add machines (`berth scale count`) for more room.\n',
      RETRY_AFTER,
    );
  }

  private unavailable(client: ClientSide, route: ResolvedRoute, reason?: string): void {
    const app = route.app;
    countAnswer(route, 503);
    client.sendText(
      503,
      reason ??
        `berth: app "${app}" has no running machine right now (it may be deploying or scaled to zero).\n` +
          `Try again in a moment; \`berth status -a ${app}\` shows its machines.\n`,
      RETRY_AFTER,
    );
  }

  // WebSocket and other upgrades: replay the request head on a raw connection to the machine
  // and wait for its answer. A 101 goes back untouched and the two sockets are spliced; any
  // other answer goes back and then the client's connection is closed, so nothing the client
  // sends after it can reach the machine outside HTTP. Upgrades are rare: plain timers here.
  upgrade(req: RequestInfo, socket: Duplex, head: Buffer, context: ListenerContext, woken = false): void {
    socket.on('error', ignoreError);
    const host = req.host;
    const route = context.app === undefined ? this.routes.resolve(host) : this.routes.resolveApp(context.app);
    if (route === undefined) {
      socket.end(rawTextResponse(404, `berth: no app is served at "${host ?? ''}".\n`));
      return;
    }
    let backend = leastInFlight(route.backends, this.nextCursor());
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
    if (backend.inFlight >= backend.hardLimit) backend = underLimit(route.backends);
    if (backend === undefined) {
      socket.end(
        rawTextResponse(
          503,
          `berth: every machine of app "${route.app}" is serving its concurrency hard_limit of requests.\n`,
          true,
        ),
      );
      return;
    }
    const requestText = requestHead(
      req,
      host,
      true,
      { body: BODY_NONE },
      context.scheme,
      this.trusts(req.socket),
    );
    new Tunnel(this, route.app, backend, socket, head).open(requestText);
  }
}

/**
 * An upgraded connection, counted in flight on its machine until either side closes. Until
 * the machine answers, only the request head goes to it; the client's bytes wait.
 */
class Tunnel {
  private readonly upstream: net.Socket;
  private connected = false;
  /** The machine's answer so far (until its head is complete). */
  private answer: Buffer[] = [];
  private status = 0;
  private refusedDone = false;
  private readonly parser: ResponseParser;
  private done = false;

  constructor(
    private readonly proxy: EdgeProxy,
    private readonly app: string,
    private readonly backend: BackendState,
    private readonly client: Duplex,
    private readonly early: Buffer,
  ) {
    backend.inFlight++;
    backend.requests++;
    proxy.tunnels.add(this);
    this.parser = new ResponseParser(
      {
        onHead: (h) => (this.status = h.status),
        onBody: () => {},
        onEnd: () => (this.refusedDone = true),
      },
      true,
    );
    this.parser.start(false);
    this.upstream = net.connect({ host: backend.host, port: backend.port, noDelay: true });
    const close = () => this.close();
    client.on('close', close);
    this.upstream.on('close', close);
  }

  get machineId(): string {
    return this.backend.machineId;
  }

  open(requestText: string): void {
    const up = this.upstream;
    const limits = this.proxy.limits;
    up.setTimeout(limits.connectTimeoutMs);
    up.on('connect', () => {
      this.connected = true;
      up.setTimeout(limits.responseHeaderTimeoutMs);
      up.write(requestText, 'latin1');
    });
    up.on('timeout', () => {
      if (!this.connected) {
        this.fail(502, `did not accept the connection within ${seconds(limits.connectTimeoutMs)}`);
      } else if (this.status === 0) {
        this.fail(504, `did not answer the upgrade within ${seconds(limits.responseHeaderTimeoutMs)}`);
      } else {
        this.close();
      }
    });
    up.on('data', (chunk: Buffer) => this.onData(chunk));
    up.on('end', () => {
      if (this.status === 0) this.fail(502, 'closed the connection before answering');
      else if (this.parser.finish() || this.refusedDone) this.finishRefusal();
      else this.close();
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (this.status === 0) this.fail(502, describeConnectError(err, limits.connectTimeoutMs));
      else this.close();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.status !== 0) {
      // The rest of a refusal: passed on as it is; its end closes the client.
      this.client.write(chunk);
      this.feed(chunk);
      if (this.refusedDone) this.finishRefusal();
      return;
    }
    this.answer.push(chunk);
    if (!this.feed(chunk) || this.status === 0) return;
    const answer = Buffer.concat(this.answer);
    this.answer = [];
    this.client.write(answer);
    if (this.status !== 101) {
      this.upstream.setTimeout(this.proxy.limits.responseIdleTimeoutMs);
      if (this.refusedDone) this.finishRefusal();
      return;
    }
    // Switched: from here on the bytes are the application's, both ways.
    const up = this.upstream;
    up.setTimeout(0);
    up.removeAllListeners('data');
    up.removeAllListeners('timeout');
    if (this.early.length > 0) up.write(this.early);
    this.client.pipe(up);
    up.pipe(this.client);
  }

  /** Parse the machine's answer; false (and the tunnel closed) when it is not HTTP. */
  private feed(chunk: Buffer): boolean {
    try {
      this.parser.execute(chunk);
      return true;
    } catch (err) {
      if (!(err instanceof ResponseParseError)) throw err;
      if (this.status === 0) this.fail(502, `sent a response berth could not read (${err.message})`);
      else this.close();
      return false;
    }
  }

  private finishRefusal(): void {
    if (this.done) return;
    this.client.end();
    this.close();
  }

  private fail(status: number, reason: string): void {
    if (!this.done && this.client.writable) {
      this.client.end(rawTextResponse(status, machineProblem(this.app, this.backend, reason)));
    }
    this.close();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.backend.inFlight--;
    countAnswer(this.backend, this.status);
    this.proxy.tunnels.delete(this);
    // Let a pending answer reach the client before its socket goes.
    const client = this.client;
    if (!client.writableFinished && (client.writableLength > 0 || client.writableEnded)) {
      if (!client.writableEnded) client.end();
      client.once('finish', () => client.destroy());
    } else {
      client.destroy();
    }
    this.upstream.destroy();
    if (this.backend.hardLimit !== Infinity) this.proxy.slotFreed(this.app);
  }
}

/** A request counted by its status alone (answered by the proxy, or a WebSocket): no latency. */
function countAnswer(counted: { readonly meter: Float64Array }, status: number): void {
  const slot = statusSlot(status);
  counted.meter[slot] = counted.meter[slot]! + 1;
}

// --- event handlers (module level: no closure per request) ---

function ignoreError(): void {}

/** A machine with room under its hard_limit, the least busy; undefined when all are full. */
function underLimit(backends: readonly BackendState[]): BackendState | undefined {
  let best: BackendState | undefined;
  for (const b of backends) {
    if (b.inFlight < b.hardLimit && (best === undefined || b.inFlight < best.inFlight)) best = b;
  }
  return best;
}

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
 * ones (upgrades keep `connection` and `upgrade`), plus x-forwarded-*, x-real-ip, forwarded
 * and via. The client's own x-forwarded-for, forwarded and x-real-ip are believed (extended)
 * only from a `trusted` proxy, else replaced. Sets `framing.body` to how the body is framed.
 * The client side's parser has already rejected header names and values that could break the framing,
 * so they are copied verbatim.
 */
function requestHead(
  req: RequestInfo,
  host: string | undefined,
  upgrade: boolean,
  framing: { body: number },
  scheme: 'http' | 'https',
  trusted: boolean,
): string {
  const raw = req.rawHeaders;
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  let body = BODY_NONE;
  let forwardedFor: string | undefined;
  let forwarded: string | undefined;
  let realIp: string | undefined;
  let extraHop: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    const value = raw[i + 1]!;
    switch (key.length) {
      case 2: // te
        if (key.toLowerCase() === 'te') continue;
        break;
      case 6: // expect: the client side answers 100-continue itself when the body is wanted
        if (key.toLowerCase() === 'expect') continue;
        break;
      case 7: {
        const lower = key.toLowerCase();
        if (lower === 'trailer') continue;
        if (lower === 'upgrade' && !upgrade) continue;
        break;
      }
      case 9: {
        // forwarded, x-real-ip: set below
        const lower = key.toLowerCase();
        if (lower === 'forwarded') {
          forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
          continue;
        }
        if (lower === 'x-real-ip') {
          realIp ??= value;
          continue;
        }
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
          // The client side de-chunks the body; we chunk it again (and it wins over Content-Length).
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
  if (!trusted) {
    forwardedFor = undefined;
    forwarded = undefined;
    realIp = undefined;
  }
  text += 'x-forwarded-for: ' + (forwardedFor === undefined ? peer : `${forwardedFor}, ${peer}`) + '\r\n';
  text += scheme === 'https' ? 'x-forwarded-proto: https\r\n' : 'x-forwarded-proto: http\r\n';
  if (host !== undefined) text += 'x-forwarded-host: ' + host + '\r\n';
  text += 'x-real-ip: ' + (realIp ?? peer) + '\r\n';
  const element = forwardedElement(peer, host, scheme);
  text += 'forwarded: ' + (forwarded === undefined ? element : `${forwarded}, ${element}`) + '\r\n';
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

/** This hop's `Forwarded` element (RFC 7239): `for=…;host="…";proto=…`. */
function forwardedElement(peer: string, host: string | undefined, scheme: string): string {
  // IPv6 addresses are quoted and bracketed; a host with a port needs quoting too.
  let element = peer.includes(':') ? `for="[${peer}]"` : `for=${peer}`;
  if (host !== undefined) {
    const quoted = host.includes('"') || host.includes('\\') ? host.replace(/["\\]/g, '\\$&') : host;
    element += `;host="${quoted}"`;
  }
  return element + ';proto=' + scheme;
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

const RETRY_AFTER = ['retry-after', '1'];

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

function describeConnectError(err: NodeJS.ErrnoException, connectTimeoutMs: number): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused the connection (nothing is listening on that port)';
    case 'ECONNRESET':
      return 'closed the connection before answering';
    case 'ETIMEDOUT':
      return `did not accept the connection within ${seconds(connectTimeoutMs)}`;
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
