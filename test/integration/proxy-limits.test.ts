// The edge proxy's limits over real sockets: misbehaving machines are raw TCP servers on port 0
// that never answer, answer malformed heads, stall a body or refuse an upgrade; misbehaving
// clients are raw sockets. Each test runs its own proxy with short limits.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { EdgeProxy } from '../../src/proxy/edge-proxy.js';
import type { ProxyLimits } from '../../src/proxy/limits.js';
import { RouteTable, type Backend } from '../../src/proxy/route-table.js';

const cleanups: (() => void | Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Proxy {
  proxy: EdgeProxy;
  routes: RouteTable;
  port: number;
}

async function startProxy(limits: Partial<ProxyLimits>): Promise<Proxy> {
  const routes = new RouteTable();
  const proxy = new EdgeProxy({ routes, domain: 'localhost', closeGraceMs: 100, limits });
  const { port } = await proxy.listen('127.0.0.1', 0);
  cleanups.push(() => proxy.close());
  return { proxy, routes, port };
}

interface RawMachine {
  port: number;
  /** Every byte each connection sent, in order of connection. */
  received: Buffer[][];
  sockets: net.Socket[];
  backend(id: string, extra?: Partial<Backend>): Backend;
}

/** A TCP server that hands each connection (and its index) to `onConnection`. */
async function rawMachine(
  onConnection: (socket: net.Socket, n: number) => void = () => {},
): Promise<RawMachine> {
  const machine: RawMachine = {
    port: 0,
    received: [],
    sockets: [],
    backend: (id, extra = {}) => ({
      machineId: id,
      address: `127.0.0.1:${machine.port}`,
      releaseVersion: 1,
      ...extra,
    }),
  };
  const server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    machine.received.push(chunks);
    machine.sockets.push(socket);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    onConnection(socket, machine.received.length - 1);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  machine.port = (server.address() as net.AddressInfo).port;
  cleanups.push(() => {
    for (const s of machine.sockets) s.destroy();
    server.close();
  });
  return machine;
}

/** Once a request head has arrived on `socket`, write `answer`. */
function answerOnce(answer: string | Buffer): (socket: net.Socket) => void {
  return (socket) => {
    let seen = '';
    const onData = (c: Buffer) => {
      seen += c.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.write(answer);
    };
    socket.on('data', onData);
  };
}

interface RawReply {
  text: string;
  /** The proxy closed the connection (rather than the test giving up). */
  closed: boolean;
}

/** Writes `request` on a fresh connection and reads until the proxy closes it. */
async function rawExchange(port: number, request: string | Buffer): Promise<RawReply> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(request);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  return { text: Buffer.concat(chunks).toString('latin1'), closed: true };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, host: string, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', headers: { host, ...headers }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a machine that never answers gets 504 naming it, after the response-header timeout', async () => {
  const { routes, port } = await startProxy({ responseHeaderTimeoutMs: 300 });
  const silent = await rawMachine();
  routes.setBackends('silent', [silent.backend('silent-m1')]);
  const r = await get(port, 'silent.localhost');
  assert.equal(r.status, 504);
  assert.match(
    r.body,
    /app "silent": machine silent-m1 at 127\.0\.0\.1:\d+ did not send response headers within 0\.3s/,
  );
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
});

test('a machine abandoned as unreachable: its waiting GET goes to another machine, a POST gets 502 at once', async () => {
  const { proxy, routes, port } = await startProxy({ responseHeaderTimeoutMs: 60_000 });
  // The lost machine accepts and never answers, as one behind a cut link looks.
  const lost = await rawMachine();
  const live = await rawMachine(answerOnce('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlive'));
  routes.setBackends('cut', [lost.backend('cut-lost')]);
  const waiting = get(port, 'cut.localhost');
  const posted = new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        method: 'POST',
        headers: { host: 'cut.localhost' },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end('x');
  });
  while (lost.received.filter((c) => c.length > 0).length < 2) await new Promise((r) => setTimeout(r, 10));
  // What the daemon does when the machine's node is lost: out of the routes, then abandoned.
  routes.setBackends('cut', [live.backend('cut-live')]);
  assert.equal(proxy.abandonMachine('cut-lost', lost.backend('x').address), 2);
  const [g, p] = await Promise.all([waiting, posted]);
  assert.equal(g.status, 200);
  assert.equal(g.body, 'live');
  assert.equal(g.headers['berth-machine'], 'cut-live');
  assert.equal(p.status, 502);
  assert.match(p.body, /machine cut-lost at 127\.0\.0\.1:\d+ became unreachable/);
});

test('a machine that does not accept the connection gets 502 after the connect timeout', async () => {
  // A listener whose process is blocked cannot accept: its backlog (two slots for backlog 1)
  // is filled first, so further connection attempts hang in SYN.
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         process.stdout.write(s.address().port + '\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => void child.kill('SIGKILL'));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const blockedPort = Number(line.toString().trim());
  for (let i = 0; i < 2; i++) {
    const filler = net.connect(blockedPort, '127.0.0.1');
    filler.on('error', () => {});
    await once(filler, 'connect');
    cleanups.push(() => void filler.destroy());
  }

  const { routes, port } = await startProxy({ connectTimeoutMs: 300 });
  routes.setBackends('blocked', [
    { machineId: 'blocked-m1', address: `127.0.0.1:${blockedPort}`, releaseVersion: 1 },
  ]);
  const r = await get(port, 'blocked.localhost');
  assert.equal(r.status, 502);
  assert.match(r.body, /machine blocked-m1 at 127\.0\.0\.1:\d+ did not accept the connection within 0\.3s/);
});

test('a response body that stalls is cut off after the response idle timeout', async () => {
  const { routes, port } = await startProxy({ responseIdleTimeoutMs: 300 });
  const stall = await rawMachine(
    answerOnce('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\nfirst ten.'),
  );
  routes.setBackends('stall', [stall.backend('stall-m1')]);
  const r = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: stall.localhost\r\n\r\n');
  // The head and the ten bytes arrive, then the connection closes short of the 100 announced.
  assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(r.text, /content-length: 100\r\n/i);
  assert.ok(r.text.endsWith('\r\n\r\nfirst ten.'), r.text);
  // And the machine's connection is dropped, not returned to the pool.
  await waitFor(() => stall.sockets[0]!.destroyed || stall.sockets[0]!.readableEnded);
});

test('a request body that pauses too long gets 408 and the connection closes', async () => {
  const { routes, port } = await startProxy({ requestBodyTimeoutMs: 300, requestBodyMinRate: 0 });
  const sink = await rawMachine();
  routes.setBackends('upload', [sink.backend('upload-m1')]);
  const r = await rawExchange(
    port,
    'POST /upload HTTP/1.1\r\nHost: upload.localhost\r\nContent-Length: 100\r\n\r\nonly five',
  );
  assert.match(r.text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(r.text, /connection: close\r\n/i);
  assert.match(
    r.text,
    /the request to app "upload" was cut off: no byte of the request body arrived for 0\.3s/,
  );
  assert.ok(r.closed);
});

test('a request body trickled below the minimum rate gets 408', async () => {
  // One byte every 200 ms: never a long pause, but far below 240 bytes/s.
  const { routes, port } = await startProxy({ requestBodyTimeoutMs: 60_000, requestBodyMinRate: 240 });
  const sink = await rawMachine();
  routes.setBackends('trickle', [sink.backend('trickle-m1')]);
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write('POST / HTTP/1.1\r\nHost: trickle.localhost\r\nContent-Length: 1000\r\n\r\n');
  const timer = setInterval(() => socket.writable && socket.write('x'), 200);
  cleanups.push(() => clearInterval(timer));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  clearInterval(timer);
  const text = Buffer.concat(chunks).toString('latin1');
  assert.match(text, /^HTTP\/1\.1 408 /);
  assert.match(text, /slower than 240 bytes\/s/);
});

test('malformed responses get 502 naming the machine', async () => {
  const { routes, port } = await startProxy({ responseHeaderTimeoutMs: 10_000 });
  const cases: [string, string | Buffer, RegExp][] = [
    ['bare LF line ends', 'HTTP/1.1 200 OK\ncontent-length: 2\n\nok', /bare LF/],
    ['bare LF in a complete head', 'HTTP/1.1 200 OK\ncontent-length: 2\r\n\r\nok', /bare LF/],
    [
      'a status line that is not HTTP',
      'HTTP/9 OK\r\ncontent-length: 2\r\n\r\nok',
      /did not answer with HTTP\/1\.x/,
    ],
    [
      'a status code that is not three digits',
      'HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\nok',
      /bad status line/,
    ],
    [
      'a bad chunk size',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n',
      /bad chunk size/,
    ],
    ['oversize headers', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`, /larger than 64 KiB/],
  ];
  for (const [name, answer, reason] of cases) {
    const app = `bad${cases.findIndex((c) => c[0] === name)}`;
    const machine = await rawMachine(answerOnce(answer));
    routes.setBackends(app, [machine.backend(`${app}-m1`)]);
    const r = await get(port, `${app}.localhost`);
    assert.equal(r.status, 502, name);
    assert.match(
      r.body,
      new RegExp(
        `app "${app}": machine ${app}-m1 at 127\\.0\\.0\\.1:\\d+ sent a response berth could not read`,
      ),
      name,
    );
    assert.match(r.body, reason, name);
  }
});

test('an upgrade the machine refuses is answered, then the client connection is closed', async () => {
  const { routes, port } = await startProxy({});
  // app "first" answers the upgrade with a plain, kept-alive 200.
  const first = await rawMachine(answerOnce('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nnope\n'));
  const second = await rawMachine(answerOnce('HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\nsecond\n'));
  routes.setBackends('first', [first.backend('first-m1')]);
  routes.setBackends('second', [second.backend('second-m1')]);

  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: first.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  );
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    // The refusal is in: try the next request on the same connection, for another app.
    if (Buffer.concat(chunks).toString().endsWith('nope\n') && socket.writable) {
      socket.write('GET /steal HTTP/1.1\r\nHost: second.localhost\r\n\r\n');
    }
  });
  await once(socket, 'close');
  const text = Buffer.concat(chunks).toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(text.endsWith('\r\n\r\nnope\n'), text);
  const firstSaw = Buffer.concat(first.received[0]!).toString('latin1');
  assert.doesNotMatch(firstSaw, /steal/, 'the second request never reached the first app');
  assert.equal(second.received.length, 0);
});

test('an upgrade the machine never answers gets 504', async () => {
  const { routes, port } = await startProxy({ responseHeaderTimeoutMs: 300 });
  const silent = await rawMachine();
  routes.setBackends('wsilent', [silent.backend('wsilent-m1')]);
  const r = await rawExchange(
    port,
    'GET / HTTP/1.1\r\nHost: wsilent.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  );
  assert.match(r.text, /^HTTP\/1\.1 504 /);
  assert.match(r.text, /machine wsilent-m1 at 127\.0\.0\.1:\d+ did not answer the upgrade within 0\.3s/);
});

/** An http machine that holds every request until `release()`; counts what it serves. */
async function holdingMachine() {
  const held: http.ServerResponse[] = [];
  let maxInFlight = 0;
  let inFlight = 0;
  const server = http.createServer((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('finish', () => inFlight--);
    held.push(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    held,
    maxInFlight: () => maxInFlight,
    release: () => {
      for (const res of held.splice(0)) res.end('done\n');
    },
    backend: (id: string, hardLimit?: number): Backend => ({
      machineId: id,
      address: `127.0.0.1:${port}`,
      releaseVersion: 1,
      ...(hardLimit !== undefined && { hardLimit }),
    }),
  };
}

test('over the hard_limit requests wait in a queue and go on as the machine finishes', async () => {
  const { routes, port } = await startProxy({ queueTimeoutMs: 30_000 });
  const m = await holdingMachine();
  routes.setBackends('busy', [m.backend('busy-m1', 2)]);
  const replies = Array.from({ length: 5 }, () => get(port, 'busy.localhost'));
  await waitFor(() => m.held.length === 2);
  // Release in turns: the machine never sees more than two at once.
  while (
    (await Promise.race([Promise.all(replies).then(() => true), sleep(20).then(() => false)])) === false
  ) {
    if (m.held.length > 0) m.release();
  }
  for (const r of await Promise.all(replies)) assert.equal(r.status, 200);
  assert.equal(m.maxInFlight(), 2);
  assert.equal(routes.inFlight('busy-m1'), 0);
});

test('a queued request gets 503 with Retry-After after the queue timeout; past the queue limit at once', async () => {
  const { routes, port } = await startProxy({ queueTimeoutMs: 300, queueLimit: 1 });
  const m = await holdingMachine();
  routes.setBackends('full', [m.backend('full-m1', 1)]);
  const first = get(port, 'full.localhost');
  await waitFor(() => m.held.length === 1);
  const queued = get(port, 'full.localhost');
  await waitFor(() => routes.inFlight('full-m1') === 1);
  // The queue holds one: a third request is refused without waiting.
  const refused = await get(port, 'full.localhost');
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '1');
  assert.match(refused.body, /every machine of app "full" is serving its concurrency hard_limit/);
  assert.match(refused.body, /1 requests are already waiting/);

  const timedOut = await queued;
  assert.equal(timedOut.status, 503);
  assert.equal(timedOut.headers['retry-after'], '1');
  assert.match(timedOut.body, /waited 0\.3s/);
  m.release();
  assert.equal((await first).status, 200);
  assert.equal(m.maxInFlight(), 1);
});

/** What headers a machine saw, echoed back as JSON. */
async function echoMachine() {
  const server = http.createServer((req, res) => res.end(JSON.stringify(req.headers)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return { machineId: 'echo-m1', address: `127.0.0.1:${port}`, releaseVersion: 1 };
}

const CLAIMS = {
  'x-forwarded-for': '203.0.113.7',
  forwarded: 'for=203.0.113.7;proto=https',
  'x-real-ip': '203.0.113.7',
};

test('a client that is not a trusted proxy has its forwarding headers replaced', async () => {
  const { routes, port } = await startProxy({});
  routes.setBackends('echo', [await echoMachine()]);
  const r = await get(port, 'echo.localhost', CLAIMS);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-real-ip'], '127.0.0.1');
  assert.equal(seen['forwarded'], 'for=127.0.0.1;host="echo.localhost";proto=http');
});

test('a trusted proxy has its X-Forwarded-For extended and its Forwarded and X-Real-IP kept', async () => {
  const { routes, port } = await startProxy({
    trustedProxies: [{ address: '127.0.0.0', prefix: 8, family: 4 }],
  });
  routes.setBackends('echo', [await echoMachine()]);
  const r = await get(port, 'echo.localhost', CLAIMS);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  assert.equal(seen['x-real-ip'], '203.0.113.7');
  assert.equal(
    seen['forwarded'],
    'for=203.0.113.7;proto=https, for=127.0.0.1;host="echo.localhost";proto=http',
  );
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
