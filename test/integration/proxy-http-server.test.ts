// berth's own HTTP/1.1 server on the proxy's client side, over real sockets: pipelining,
// HTTP/1.0 and Connection: close, Expect, HEAD, size limits, the header and keep-alive
// timeouts, and smuggling attempts, which are refused before any byte reaches a machine.
// Clients are raw sockets (what they send is exactly what the test writes); the machine is a
// node:http server that records what it receives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { EdgeProxy } from '../../src/proxy/edge-proxy.js';
import { RouteTable } from '../../src/proxy/route-table.js';

let proxy: EdgeProxy;
let port: number;
let machine: http.Server;
/** Requests the machine received: method, url, body. */
const seen: { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }[] = [];

before(async () => {
  machine = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
      if (req.url === '/chunked') {
        // No length: the proxy frames it for the client.
        res.write('part1,');
        res.end('part2');
        return;
      }
      const text = `${req.method} ${req.url} ${body}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  machine.listen(0, '127.0.0.1');
  await once(machine, 'listening');
  const machinePort = (machine.address() as net.AddressInfo).port;
  const routes = new RouteTable();
  routes.setBackends('app', [
    { machineId: 'app-m1', address: `127.0.0.1:${machinePort}`, releaseVersion: 1 },
  ]);
  proxy = new EdgeProxy({
    routes,
    domain: 'localhost',
    closeGraceMs: 200,
    connectionTimeouts: { headersMs: 300, keepAliveMs: 600 },
  });
  port = (await proxy.listen('127.0.0.1', 0)).port;
});

after(async () => {
  await proxy.close();
  machine.closeAllConnections();
  machine.close();
});

const H = 'Host: app.localhost\r\n';

/** The bodies of the complete responses (with a content-length) in `text`, in order. */
function bodies(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) return out;
    const length = /content-length: (\d+)\r\n/i.exec(text.slice(at, end));
    const size = length ? Number(length[1]) : 0;
    if (text.length < end + 4 + size) return out;
    out.push(text.slice(end + 4, end + 4 + size));
    at = end + 4 + size;
  }
}

/** A raw connection: write bytes, read what comes back, know when the proxy closed it. */
async function connect() {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  let text = '';
  let closed = false;
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.on('close', () => (closed = true));
  const until = async (what: string, condition: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    socket,
    write: (s: string) => socket.write(Buffer.from(s, 'latin1')),
    text: () => text,
    closed: () => closed,
    /** Waits until `n` complete responses (by their status lines and bodies) have arrived. */
    responses: async (n: number) => {
      await until(`${n} responses`, () => bodies(text).length >= n);
      return text;
    },
    untilClosed: () => until('the proxy to close the connection', () => closed).then(() => text),
    until,
  };
}

test('pipelined requests are answered in order, one at a time, bodies included', async () => {
  const c = await connect();
  const before = seen.length;
  c.write(
    `GET /one HTTP/1.1\r\n${H}\r\n` +
      `POST /two HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc` +
      `POST /three HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n` +
      `GET /four HTTP/1.1\r\n${H}\r\n`,
  );
  await c.responses(4);
  assert.deepEqual(bodies(c.text()), ['GET /one ', 'POST /two abc', 'POST /three xy', 'GET /four ']);
  assert.deepEqual(
    seen.slice(before).map((s) => `${s.method} ${s.url} ${s.body}`),
    ['GET /one ', 'POST /two abc', 'POST /three xy', 'GET /four '],
  );
  assert.equal(c.closed(), false, 'HTTP/1.1 keeps the connection');
  c.socket.destroy();
});

test('a response without a length is chunked for HTTP/1.1 and ends with the connection for HTTP/1.0', async () => {
  const c11 = await connect();
  c11.write(`GET /chunked HTTP/1.1\r\n${H}\r\n`);
  await c11.until('the last chunk', () => c11.text().endsWith('0\r\n\r\n'));
  assert.match(c11.text(), /transfer-encoding: chunked\r\n/);
  assert.match(c11.text(), /part1,\r\n.*part2\r\n0\r\n\r\n$/s);
  c11.socket.destroy();

  const c10 = await connect();
  c10.write(`GET /chunked HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`);
  const text = await c10.untilClosed();
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(text, /transfer-encoding/i);
  assert.match(text, /connection: close\r\n/);
  assert.ok(text.endsWith('\r\n\r\npart1,part2'), text);
});

test('HTTP/1.0 closes unless it asks for keep-alive; Connection: close closes after the response', async () => {
  const plain = await connect();
  plain.write(`GET /a HTTP/1.0\r\n${H}\r\n`);
  assert.match(await plain.untilClosed(), /connection: close\r\n\r\nGET \/a $/);

  const kept = await connect();
  kept.write(`GET /b HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`);
  await kept.responses(1);
  assert.match(kept.text(), /connection: keep-alive\r\n/);
  kept.write(`GET /c HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`);
  await kept.responses(2);
  assert.equal(kept.closed(), false);
  kept.socket.destroy();

  const close = await connect();
  // The request after a Connection: close one is never read.
  close.write(`GET /d HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /never HTTP/1.1\r\n${H}\r\n`);
  const text = await close.untilClosed();
  assert.match(text, /connection: close\r\n\r\nGET \/d $/);
  assert.ok(!seen.some((s) => s.url === '/never'));
});

test('HEAD gets the head only, and the connection goes on', async () => {
  const c = await connect();
  c.write(`HEAD /h HTTP/1.1\r\n${H}\r\nGET /after HTTP/1.1\r\n${H}\r\n`);
  await c.until('both responses', () => c.text().endsWith('GET /after '));
  const [head] = c.text().split('HTTP/1.1 200 OK').filter(Boolean);
  assert.match(head!, /content-length: 8\r\n/, 'the length of the body a GET would get');
  assert.ok(head!.endsWith('\r\n\r\n'), 'no body after a HEAD response');
  c.socket.destroy();
});

test('Expect: 100-continue gets 100 before the body is sent; another expectation 417', async () => {
  const c = await connect();
  c.write(`PUT /e HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 4\r\n\r\n`);
  await c.until('100 Continue', () => c.text().startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
  c.write('data');
  await c.until('the response', () => c.text().endsWith('PUT /e data'));
  assert.equal(seen.at(-1)!.headers.expect, undefined, 'the machine is not asked to expect anything');
  c.socket.destroy();

  const refused = await connect();
  refused.write(`PUT /e417 HTTP/1.1\r\n${H}Expect: something-else\r\nContent-Length: 4\r\n\r\ndata`);
  const text = await refused.untilClosed();
  assert.match(text, /^HTTP\/1\.1 417 Expectation Failed\r\n/);
  assert.match(text, /cannot meet the expectation "something-else"/);
  assert.ok(!seen.some((s) => s.url === '/e417'));
});

test('smuggling attempts get 400 naming the problem, the connection closes, no machine sees them', async () => {
  const attempts: [string, RegExp][] = [
    [
      `POST /s1 HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      /both Transfer-Encoding and Content-Length/,
    ],
    [`POST /s2 HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, /single "chunked"/],
    [
      `POST /s3 HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde`,
      /more than one Content-Length/,
    ],
    [
      `POST /s4 HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
      /whitespace between a header name and its colon/,
    ],
    [`POST /s5 HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`, /folded/],
    [
      `POST /s6 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`,
      /chunk size is not a hex number/,
    ],
    [`GET /s7 HTTP/1.1\nHost: app.localhost\n\n`, /bare (CR or )?LF/],
    [`GET /s8 HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, /control character/],
    [`GET /s9 HTTP/1.1\r\n${H}Host: other.localhost\r\n\r\n`, /more than one Host/],
    [`CONNECT app.localhost:80 HTTP/1.1\r\n${H}\r\n`, /CONNECT is not served/],
  ];
  for (const [request, reason] of attempts) {
    const c = await connect();
    // A second request behind it: it must not be read either.
    c.write(request + `GET /smuggled HTTP/1.1\r\n${H}\r\n`);
    const text = await c.untilClosed();
    assert.match(text, /^HTTP\/1\.1 40[05] /, request);
    assert.match(text, /connection: close\r\n/, request);
    assert.match(text, reason, request);
    assert.equal(text.match(/^HTTP\/1\.1 \d/gm)!.length, 1, `one answer only: ${text}`);
  }
  assert.ok(!seen.some((s) => /^\/s\d|^\/smuggled/.test(s.url)), JSON.stringify(seen.map((s) => s.url)));
});

test('a chunked body that turns malformed mid-way gets 400 and the connection closes', async () => {
  const c = await connect();
  c.write(`POST /mid HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`);
  await new Promise((r) => setTimeout(r, 50));
  c.write('zz\r\n');
  const text = await c.untilClosed();
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(text, /chunk size is not a hex number/);
  assert.ok(!seen.some((s) => s.url === '/mid'), 'the machine never got a complete request');
});

test('oversized request line: 414; oversized head: 431; both in plain text, connection closed', async () => {
  const long = await connect();
  long.write(`GET /${'a'.repeat(17_000)} HTTP/1.1\r\n${H}\r\n`);
  const t1 = await long.untilClosed();
  assert.match(t1, /^HTTP\/1\.1 414 URI Too Long\r\n/);
  assert.match(t1, /request line is longer than 16 KiB/);

  const big = await connect();
  big.write(
    `GET / HTTP/1.1\r\n${H}${'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(400)}\r\n`,
  );
  const t2 = await big.untilClosed();
  assert.match(t2, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
});

test('a head that does not arrive in time gets 408; an idle connection is closed', async () => {
  const slow = await connect();
  slow.write(`GET /slow HTTP/1.1\r\n${H}`);
  const text = await slow.untilClosed();
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(text, /request head did not arrive within 0\.3s/);

  const idle = await connect();
  idle.write(`GET /idle HTTP/1.1\r\n${H}\r\n`);
  await idle.responses(1);
  // Served, then idle past the keep-alive timeout: closed without a word.
  const after = await idle.untilClosed();
  assert.equal((after.match(/^HTTP\/1\.1 \d/gm) ?? []).length, 1);
});
