// The edge proxy over real sockets: in-process node:http machines on port 0, the proxy on
// port 0, and requests with the Host header an app's URL would carry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { EdgeProxy } from '../../src/proxy/edge-proxy.js';
import { RouteTable, type Backend } from '../../src/proxy/route-table.js';

interface Machine {
  id: string;
  server: http.Server;
  port: number;
  /** TCP connections the machine accepted. */
  connections: number;
  /** Requests seen, with their headers. */
  requests: http.IncomingMessage[];
  backend(releaseVersion?: number): Backend;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, machine: Machine) => void;

const machines: Machine[] = [];

async function startMachine(id: string, handler: Handler = hello): Promise<Machine> {
  const server = http.createServer();
  const machine: Machine = {
    id,
    server,
    port: 0,
    connections: 0,
    requests: [],
    backend: (releaseVersion = 1) => ({
      machineId: id,
      address: `127.0.0.1:${machine.port}`,
      releaseVersion,
    }),
  };
  server.on('connection', () => machine.connections++);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    machine.requests.push(req);
    handler(req, res, machine);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  machine.port = (server.address() as net.AddressInfo).port;
  machines.push(machine);
  return machine;
}

function hello(req: http.IncomingMessage, res: http.ServerResponse, machine: Machine): void {
  const body = `hello from ${machine.id}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let routes: RouteTable;
let proxy: EdgeProxy;
let proxyPort: number;
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(
  host: string,
  options: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: Buffer | string;
    agent?: http.Agent;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host, ...options.headers },
        agent: options.agent ?? keepAlive,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const text = (r: Reply) => r.body.toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a condition until it holds; the generous limit only turns a hang into a failure. */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A handler that holds each request until `release()`, so a test decides when they end. */
function heldHandler(): { handler: Handler; held: () => number; release: () => void } {
  let waiting: Array<() => void> = [];
  let released = false;
  return {
    handler: (req, res, machine) => {
      if (released) return hello(req, res, machine);
      waiting.push(() => hello(req, res, machine));
    },
    held: () => waiting.length,
    release: () => {
      released = true;
      for (const answer of waiting) answer();
      waiting = [];
    },
  };
}

before(async () => {
  routes = new RouteTable();
  proxy = new EdgeProxy({ routes, domain: 'localhost', closeGraceMs: 200 });
  proxyPort = (await proxy.listen('127.0.0.1', 0)).port;
});

after(async () => {
  keepAlive.destroy();
  await proxy.close();
  for (const m of machines) {
    m.server.closeAllConnections();
    m.server.close();
  }
});

test('routes by Host: with and without port, any case', async () => {
  const a = await startMachine('a1');
  const b = await startMachine('b1');
  routes.setBackends('alpha', [a.backend()]);
  routes.setBackends('beta', [b.backend()]);
  for (const host of ['alpha.localhost', `alpha.localhost:${proxyPort}`, 'ALPHA.LocalHost:80']) {
    const r = await request(host);
    assert.equal(r.status, 200, host);
    assert.equal(text(r), 'hello from a1\n', host);
    assert.equal(r.headers['berth-machine'], 'a1');
  }
  assert.equal(text(await request(`Beta.localhost:${proxyPort}`)), 'hello from b1\n');
});

test('extra hostnames route to their app', async () => {
  const m = await startMachine('shop1');
  routes.setBackends('shop', [m.backend()]);
  routes.addHostname('www.shop.example', 'shop');
  const r = await request('WWW.shop.example:8080');
  assert.equal(text(r), 'hello from shop1\n');
});

test('unknown host: 404 in plain text that says what was asked and what is served', async () => {
  const r = await request('nope.localhost:1234');
  assert.equal(r.status, 404);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.match(text(r), /nope\.localhost:1234/);
  assert.match(text(r), /<app>\.localhost/);
  assert.match(text(r), /berth apps list/);
  const other = await request('example.com');
  assert.equal(other.status, 404);
});

test('known app with no running machine: 503 with Retry-After', async () => {
  routes.setBackends('sleepy', []);
  const r = await request('sleepy.localhost');
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.match(text(r), /"sleepy" has no running machine/);
});

test('machine refusing connections: 502 with an explanation, no stack trace', async () => {
  const dead = await startMachine('dead1');
  const backend = dead.backend();
  dead.server.close();
  await once(dead.server, 'close');
  routes.setBackends('broken', [backend]);
  const r = await request('broken.localhost', { method: 'POST', body: 'x' });
  assert.equal(r.status, 502);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.match(text(r), /dead1 at 127\.0\.0\.1:\d+ refused the connection/);
  assert.doesNotMatch(text(r), /\bat .*\.js:\d+/);
  assert.equal(routes.inFlight('dead1'), 0);
});

test('a refused connection is retried on another machine', async () => {
  const dead = await startMachine('gone2');
  const deadBackend = dead.backend();
  dead.server.close();
  await once(dead.server, 'close');
  const live = await startMachine('live2');
  routes.setBackends('retry', [deadBackend, live.backend()]);
  for (let i = 0; i < 6; i++) {
    const r = await request('retry.localhost');
    assert.equal(r.status, 200);
    assert.equal(text(r), 'hello from live2\n');
  }
  assert.equal(routes.inFlight('gone2'), 0);
  assert.equal(routes.inFlight('live2'), 0);
});

test('least-in-flight spreads concurrent slow requests across machines', async () => {
  // Every request is held at its machine until all 12 have arrived: none ends early, so the
  // split depends only on the balancer, never on how fast this machine runs.
  const slow = heldHandler();
  const m1 = await startMachine('slow1', slow.handler);
  const m2 = await startMachine('slow2', slow.handler);
  const m3 = await startMachine('slow3', slow.handler);
  routes.setBackends('slow', [m1.backend(), m2.backend(), m3.backend()]);
  const pending = Promise.all(Array.from({ length: 12 }, () => request('slow.localhost')));
  await until('all 12 requests to reach the machines', () => slow.held() === 12);
  assert.deepEqual(
    [m1, m2, m3].map((m) => routes.inFlight(m.id)),
    [4, 4, 4],
  );
  slow.release();
  const replies = await pending;
  const counts = new Map<string, number>();
  for (const r of replies)
    counts.set(String(r.headers['berth-machine']), (counts.get(String(r.headers['berth-machine'])) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(counts), { slow1: 4, slow2: 4, slow3: 4 });

  // A machine busy with long requests gets none of the next ones.
  const stuck = heldHandler();
  const busy = await startMachine('busy1', stuck.handler);
  const free = await startMachine('free1');
  routes.setBackends('lopsided', [busy.backend()]);
  const long = Promise.all([1, 2, 3].map(() => request('lopsided.localhost')));
  await until('the 3 long requests to reach busy1', () => stuck.held() === 3);
  routes.setBackends('lopsided', [busy.backend(), free.backend()]);
  assert.equal(routes.inFlight('busy1'), 3);
  for (let i = 0; i < 5; i++) {
    assert.equal((await request('lopsided.localhost')).headers['berth-machine'], 'free1');
  }
  stuck.release();
  await long;
  await until('busy1 to have nothing in flight', () => routes.inFlight('busy1') === 0);
});

test('request and response bodies stream both ways (5 MB)', async () => {
  const m = await startMachine('sha1', (req, res) => {
    if (req.method === 'POST') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ sha: hash.digest('hex'), bytes, te: req.headers['transfer-encoding'] ?? null }),
        );
      });
      return;
    }
    // GET: 5 MB in 64 KiB writes, chunked (no Content-Length).
    const block = Buffer.alloc(64 * 1024, 7);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let i = 0; i < 80; i++) res.write(block);
    res.end();
  });
  routes.setBackends('sha', [m.backend()]);

  const body = randomBytes(5 * 1024 * 1024);
  const sha = createHash('sha256').update(body).digest('hex');
  const r = await request('sha.localhost', { method: 'POST', body });
  assert.deepEqual(JSON.parse(text(r)), { sha, bytes: body.length, te: null });

  // Without Content-Length the body is chunked to the machine.
  const chunked = await new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: 'POST',
        headers: { host: 'sha.localhost' },
        agent: keepAlive,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1 << 20) req.write(body.subarray(i, i + (1 << 20)));
    req.end();
  });
  assert.deepEqual(JSON.parse(text(chunked)), { sha, bytes: body.length, te: 'chunked' });

  const big = await request('sha.localhost');
  assert.equal(big.body.length, 80 * 64 * 1024);
  assert.ok(big.body.every((byte) => byte === 7));
});

test('bodies are not buffered: the machine sees the first bytes before the client sends the rest', async () => {
  let firstSeen!: () => void;
  const seen = new Promise<void>((r) => (firstSeen = r));
  let clientGotFirst!: () => void;
  const clientGot = new Promise<void>((r) => (clientGotFirst = r));
  const m = await startMachine('stream1', (req, res) => {
    let total = 0;
    req.on('data', (c: Buffer) => {
      if (total === 0) firstSeen();
      total += c.length;
    });
    req.on('end', () => {
      res.writeHead(200);
      res.write('first;');
      // The rest only once the client has the first part: proves the response streams too.
      void clientGot.then(() => res.end(`total=${total}`));
    });
  });
  routes.setBackends('stream', [m.backend()]);
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: 'PUT',
        headers: { host: 'stream.localhost' },
        agent: keepAlive,
      },
      (res) => {
        let got = '';
        res.on('data', (c: Buffer) => {
          got += c.toString();
          if (got.startsWith('first;')) clientGotFirst();
        });
        res.on('end', () => resolve(got));
      },
    );
    req.on('error', reject);
    req.write('part one;');
    void seen.then(() => req.end('part two'));
  });
  assert.equal(reply, 'first;total=17');
});

test('upstream connections are kept alive and reused', async () => {
  const m = await startMachine('ka1');
  routes.setBackends('ka', [m.backend()]);
  for (let i = 0; i < 50; i++) {
    const r = await request('ka.localhost');
    assert.equal(r.status, 200);
  }
  assert.equal(m.connections, 1);
  const stats = proxy.poolStats().find((s) => s.address === m.backend().address);
  assert.deepEqual(stats, { address: m.backend().address, active: 0, idle: 1 });
});

test('kept-alive connections the machine closes unannounced are not a client error', async () => {
  // The machine hangs up after each response without saying so: the proxy either sees the
  // close while the socket idles, or finds out on reuse and retries once on a new connection.
  const m = await startMachine('rude1', (req, res, machine) => {
    hello(req, res, machine);
    res.on('finish', () => setTimeout(() => req.socket.end(), m.requests.length % 2 === 0 ? 0 : 20));
  });
  routes.setBackends('rude', [m.backend()]);
  for (let i = 0; i < 30; i++) {
    const r = await request('rude.localhost');
    assert.equal(r.status, 200, `request ${i}`);
    if (i % 10 === 9) await sleep(40);
  }
});

test('forwarded headers are added, hop-by-hop headers dropped both ways', async () => {
  const m = await startMachine('hdr1', (req, res) => {
    res.writeHead(200, [
      'content-type',
      'application/json',
      'connection',
      'keep-alive, x-secret-hop',
      'keep-alive',
      'timeout=5',
      'x-secret-hop',
      'dropped',
      'proxy-authenticate',
      'Basic',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
    ]);
    res.end(JSON.stringify(req.headers));
  });
  routes.setBackends('hdr', [m.backend()]);
  const r = await request(`hdr.localhost:${proxyPort}`, {
    path: '/some/path?q=1',
    headers: {
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-host': 'evil.example',
      'proxy-authorization': 'Basic abc',
      te: 'trailers',
      connection: 'keep-alive, x-hop',
      'x-hop': 'should go',
      'x-keep': 'should stay',
    },
  });
  const seen = JSON.parse(text(r)) as Record<string, string>;
  assert.equal(seen['host'], `hdr.localhost:${proxyPort}`);
  assert.equal(seen['x-forwarded-for'], '127.0.0.1'); // a client's own claim is replaced
  assert.equal(seen['x-forwarded-host'], `hdr.localhost:${proxyPort}`);
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['via'], '1.1 berth');
  assert.equal(seen['x-keep'], 'should stay');
  for (const gone of ['proxy-authorization', 'te', 'x-hop', 'keep-alive'])
    assert.equal(seen[gone], undefined, gone);
  assert.equal(m.requests.at(-1)!.url, '/some/path?q=1');

  assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(r.headers['x-secret-hop'], undefined);
  assert.equal(r.headers['proxy-authenticate'], undefined);
  assert.notEqual(r.headers['keep-alive'], 'timeout=5');
});

test('HEAD, 204, 304 and status text pass through', async () => {
  const m = await startMachine('codes1', (req, res) => {
    if (req.url === '/204') return void res.writeHead(204).end();
    if (req.url === '/304') return void res.writeHead(304, { etag: '"x"' }).end();
    if (req.url === '/teapot') return void res.writeHead(418, 'Short And Stout').end('tea');
    res.writeHead(200, { 'content-length': 5 });
    res.end(req.method === 'HEAD' ? undefined : 'hello');
  });
  routes.setBackends('codes', [m.backend()]);
  const head = await request('codes.localhost', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '5');
  assert.equal(head.body.length, 0);
  assert.equal((await request('codes.localhost', { path: '/204' })).status, 204);
  const notModified = await request('codes.localhost', { path: '/304' });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers['etag'], '"x"');
  const tea = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port: proxyPort, path: '/teapot', headers: { host: 'codes.localhost' } },
        resolve,
      )
      .on('error', reject);
  });
  assert.equal(tea.statusCode, 418);
  assert.equal(tea.statusMessage, 'Short And Stout');
  tea.resume();
  // The connection is still good after all of that.
  assert.equal(text(await request('codes.localhost')), 'hello');
});

test('WebSocket upgrade round-trip, counted in flight while open', async () => {
  const m = await startMachine('ws1');
  m.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1')
      .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\nX-Forwarded-For-Seen: ${String(req.headers['x-forwarded-for'])}\r\n\r\n`,
    );
    socket.pipe(socket); // echo
  });
  routes.setBackends('ws', [m.backend()]);

  const socket = net.connect(proxyPort, '127.0.0.1');
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(
    'GET /chat HTTP/1.1\r\nHost: ws.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let received = Buffer.alloc(0);
  const waitFor = async (pred: (s: string) => boolean) => {
    while (!pred(received.toString('latin1'))) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      received = Buffer.concat([received, chunk]);
    }
  };
  await waitFor((s) => s.includes('\r\n\r\n'));
  const head = received.toString('latin1');
  const accept = createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.match(head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}`));
  assert.match(head, /X-Forwarded-For-Seen: 127\.0\.0\.1/);
  assert.equal(routes.inFlight('ws1'), 1);

  received = Buffer.alloc(0);
  const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]); // masked "hello"
  socket.write(frame);
  await waitFor((s) => s.length >= frame.length);
  assert.deepEqual(received, frame);

  socket.end();
  await once(socket, 'close');
  await until('the closed tunnel to leave ws1', () => routes.inFlight('ws1') === 0);
});

test('at a drain deadline the WebSocket tunnels to that machine are closed, others stay', async () => {
  const upgrade = (m: Machine) =>
    m.server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.pipe(socket);
    });
  const a = await startMachine('wsdrain-a');
  const b = await startMachine('wsdrain-b');
  upgrade(a);
  upgrade(b);
  const open = async () => {
    const socket = net.connect(proxyPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET / HTTP/1.1\r\nHost: wsdrain.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    await once(socket, 'data');
    return socket;
  };
  routes.setBackends('wsdrain', [a.backend()]);
  const onA = await open();
  routes.setBackends('wsdrain', [b.backend()]);
  const onB = await open();
  assert.equal(routes.inFlight('wsdrain-a'), 1, 'a is draining with one tunnel');

  assert.equal(proxy.closeTunnelsTo('wsdrain-a'), 1);
  await once(onA, 'close');
  await until('the closed tunnel to leave wsdrain-a', () => routes.inFlight('wsdrain-a') === 0);
  assert.equal(routes.inFlight('wsdrain-b'), 1);
  assert.ok(!onB.destroyed);
  onB.destroy();
});

test('WebSocket upgrade to an unknown host is refused with 404', async () => {
  const socket = net.connect(proxyPort, '127.0.0.1');
  socket.write(
    'GET / HTTP/1.1\r\nHost: nobody.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  );
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString()));
  await once(socket, 'close');
  assert.match(got, /^HTTP\/1\.1 404 /);
});

test('client aborts do not crash the proxy and release the machine', async () => {
  let responding!: () => void;
  const started = new Promise<void>((r) => (responding = r));
  let uploading!: () => void;
  const uploadArrived = new Promise<void>((r) => (uploading = r));
  const m = await startMachine('abort1', (req, res) => {
    if (req.url === '/upload') {
      req.once('data', () => uploading());
      req.on('data', () => {});
      req.on('error', () => {});
      return;
    }
    res.writeHead(200);
    res.write('x'.repeat(1000));
    responding();
    const timer = setInterval(() => res.write('y'.repeat(1000)), 5);
    res.on('close', () => clearInterval(timer));
  });
  routes.setBackends('abort', [m.backend()]);

  // Abort mid-response.
  await new Promise<void>((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port: proxyPort, headers: { host: 'abort.localhost' }, agent: false },
      (res) => {
        res.once('data', () => req.destroy());
      },
    );
    req.on('error', () => {});
    req.on('close', resolve);
  });
  await started;
  // Abort mid-upload.
  await new Promise<void>((resolve) => {
    const req = http.request({
      host: '127.0.0.1',
      port: proxyPort,
      method: 'POST',
      path: '/upload',
      headers: { host: 'abort.localhost', 'content-length': 1_000_000 },
      agent: false,
    });
    req.on('error', () => {});
    req.on('close', resolve);
    req.write('z'.repeat(1000));
    // Aborted once the machine has part of the body: the upload is really under way.
    void uploadArrived.then(() => req.destroy());
  });
  await until('abort1 to have nothing in flight', () => routes.inFlight('abort1') === 0);

  const after = await startMachine('abort2');
  routes.setBackends('abort', [after.backend()]);
  assert.equal((await request('abort.localhost')).status, 200);
});

test('a machine failing mid-response cuts the client off (no complete-looking response)', async () => {
  const m = await startMachine('crash1', (req, res) => {
    res.writeHead(200, { 'content-length': 1000 });
    res.write('partial', () => res.socket?.destroy());
  });
  routes.setBackends('crash', [m.backend()]);
  await assert.rejects(request('crash.localhost', { agent: new http.Agent() }));
  await until('crash1 to have nothing in flight', () => routes.inFlight('crash1') === 0);
  // Before any byte of response: 502.
  const m2 = await startMachine('crash2', (req) => req.socket.destroy());
  routes.setBackends('crash', [m2.backend()]);
  const r = await request('crash.localhost', { method: 'POST', body: 'x' });
  assert.equal(r.status, 502);
  assert.match(text(r), /closed the connection before answering/);
});

test('an invalid response from a machine is a 502', async () => {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  routes.setBackends('garbage', [{ machineId: 'g1', address: `127.0.0.1:${port}`, releaseVersion: 1 }]);
  const r = await request('garbage.localhost');
  assert.equal(r.status, 502);
  assert.match(text(r), /could not read/);
  server.close();

  // Parses, but node will not send such a header on: still a 502, not a crash.
  const badHeader = net.createServer((socket) => {
    socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 0\r\n\r\n'));
  });
  badHeader.listen(0, '127.0.0.1');
  await once(badHeader, 'listening');
  const badPort = (badHeader.address() as net.AddressInfo).port;
  routes.setBackends('garbage', [{ machineId: 'g2', address: `127.0.0.1:${badPort}`, releaseVersion: 1 }]);
  const r2 = await request('garbage.localhost');
  assert.equal(r2.status, 502);
  assert.match(text(r2), /not valid HTTP/);
  assert.equal(routes.inFlight('g2'), 0);
  badHeader.close();
});

test('setBackends swapping releases moves traffic without errors and drains the old one', async () => {
  const v1 = await startMachine('v1', (req, res, machine) => setTimeout(() => hello(req, res, machine), 20));
  const v2 = await startMachine('v2', (req, res, machine) => setTimeout(() => hello(req, res, machine), 20));
  routes.setBackends('deploy', [v1.backend(1)]);
  let phase: 'v1' | 'both' | 'v2' = 'v1';
  const seen: { phase: string; machine: string }[] = [];
  let running = true;
  const workers = Array.from({ length: 8 }, async () => {
    while (running) {
      const startedIn = phase; // which routes were in force when the request was sent
      const r = await request('deploy.localhost');
      assert.equal(r.status, 200);
      // A request sent just before a switch may reach the proxy after it: only one that both
      // started and ended under v1's routes must have met v1.
      const phaseSeen = startedIn === 'v1' && phase !== 'v1' ? 'v1→later' : startedIn;
      seen.push({ phase: phaseSeen, machine: String(r.headers['berth-machine']) });
    }
  });
  // Each phase lasts until enough requests were seen in it, however slow the machine is.
  const servedIn = (p: string) => seen.filter((s) => s.phase === p);
  await until('10 requests under v1', () => servedIn('v1').length >= 10);
  routes.setBackends('deploy', [v1.backend(1), v2.backend(2)]);
  phase = 'both';
  await until('both machines to serve while both are routed', () => {
    const both = new Set(servedIn('both').map((s) => s.machine));
    return both.has('v1') && both.has('v2');
  });
  routes.setBackends('deploy', [v2.backend(2)]);
  phase = 'v2';
  // Requests already on v1 finish there, and its count drains to zero.
  await until('v1 to drain', () => routes.inFlight('v1') === 0);
  await until('20 requests once v1 is out of the routes', () => servedIn('v2').length > 20);
  running = false;
  await Promise.all(workers);
  const machinesIn = (p: string) => new Set(seen.filter((s) => s.phase === p).map((s) => s.machine));
  assert.deepEqual([...machinesIn('v1')], ['v1']);
  assert.deepEqual([...machinesIn('both')].sort(), ['v1', 'v2']);
  assert.deepEqual([...machinesIn('v2')], ['v2'], 'only v2 once v1 is out of the routes');
  await until('v2 to have nothing in flight', () => routes.inFlight('v2') === 0);
});
