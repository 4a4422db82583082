// Bad input at the HTTP level, through a real daemon: every refusal is a 4xx with a coded JSON
// error, never a 500, a bare parser answer or a reset; and none leaves a stack trace
// in the daemon's log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await TestDaemon.start();
  // One app without releases, so that lookups by app name get as far as their other parameters.
  assert.equal((await daemon.api('POST', '/v1/apps', { body: '{"name":"q"}' })).status, 201);
});
after(async () => {
  await daemon.destroy();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as they are on a new connection and reads the one response until the close. */
function raw(request: string | Buffer): Promise<RawResponse> {
  const url = new URL(daemon.info.apiUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`connection failed instead of an answer: ${err.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP response, got ${JSON.stringify(text)}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.end(request);
  });
}

/** A request the daemon must refuse with `status` and `code` as JSON with a hint. */
function assertRefused(res: { status: number; body: string }, status: number, code: string): void {
  assert.equal(res.status, status, res.body);
  const body = JSON.parse(res.body) as { error: { code: string; message: string; hint: string } };
  assert.equal(body.error.code, code);
  assert.ok(body.error.message, 'a message');
  assert.ok(body.error.hint, 'a hint');
}

const auth = () => `authorization: Bearer ${daemon.token}\r\n`;

test('malformed percent-encoding in a path parameter: 400 with a code and hint, before auth too', async () => {
  assertRefused(
    await raw('GET /v1/apps/%ZZ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
    400,
    'malformed_url',
  );
  for (const path of [
    '/v1/apps/%ZZ/releases',
    '/v1/apps/q/releases/%E0%A4%A',
    '/v1/apps/q/machines/%',
    '/v1/apps/q/certs/%C0%AF',
    '/v1/artifacts/%zz',
  ]) {
    const res = await raw(`GET ${path} HTTP/1.1\r\nhost: x\r\n${auth()}connection: close\r\n\r\n`);
    assertRefused(res, 400, 'malformed_url');
  }
});

test('a known path with the wrong method: 405 with Allow', async () => {
  const health = await daemon.api('DELETE', '/v1/health');
  assertRefused(health, 405, 'method_not_allowed');
  assert.equal(health.headers.allow, 'GET, HEAD');
  const apps = await daemon.api('PUT', '/v1/apps');
  assertRefused(apps, 405, 'method_not_allowed');
  assert.equal(apps.headers.allow, 'GET, HEAD, POST');
});

test('methods the API never takes: 405 JSON with Allow, whether node knows them or not', async () => {
  const every = 'GET, HEAD, POST, PUT, DELETE';
  const patch = await daemon.api('PATCH', '/v1/apps');
  assertRefused(patch, 405, 'method_not_allowed');
  assert.equal(patch.headers.allow, 'GET, HEAD, POST', 'a known path lists its own methods');
  const options = await daemon.api('OPTIONS', '/v1/nothing');
  assertRefused(options, 405, 'method_not_allowed');
  assert.equal(options.headers.allow, every);
  const brew = await raw('BREW /v1/apps HTTP/1.1\r\nhost: x\r\n\r\n');
  assertRefused(brew, 405, 'method_not_allowed');
  assert.equal(brew.headers.allow, every);
  assert.match(brew.body, /BREW/);
  // Not HTTP at all (a TLS client on the plain port, say): the parser reads it as a method too.
  assertRefused(await raw('hello\r\n\r\n'), 405, 'method_not_allowed');
  assertRefused(await raw(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])), 405, 'method_not_allowed');
});

test('CONNECT gets a JSON answer, not a reset', async () => {
  const res = await raw('CONNECT 127.0.0.1:22 HTTP/1.1\r\nhost: 127.0.0.1:22\r\n\r\n');
  assertRefused(res, 405, 'method_not_allowed');
  assert.equal(res.headers.allow, 'GET, HEAD, POST, PUT, DELETE');
});

test('oversized URLs: 414; oversized headers: 431; both as JSON', async () => {
  // Within the parser's limit: refused by the API's own cap.
  assertRefused(
    await raw(`GET /v1/apps?${'a'.repeat(10_000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
    414,
    'uri_too_long',
  );
  // Beyond the parser's limit: the parser refuses it, berth still answers 414.
  assertRefused(await raw(`GET /v1/${'a'.repeat(40_000)} HTTP/1.1\r\nhost: x\r\n\r\n`), 414, 'uri_too_long');
  assertRefused(
    await raw(`GET /v1/apps HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`),
    431,
    'headers_too_large',
  );
  const many = Array.from({ length: 400 }, (_, i) => `x-h${i}: ${'v'.repeat(40)}\r\n`).join('');
  assertRefused(await raw(`GET /v1/apps HTTP/1.1\r\nhost: x\r\n${many}\r\n`), 431, 'headers_too_large');
});

test('requests that do not parse: 400 JSON', async () => {
  for (const request of [
    'GET /v1/apps HTTP/9.9\r\n\r\n',
    'GET /v1/apps HTTP/1.1\r\nbad header line\r\n\r\n',
    'POST /v1/apps HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello',
    'POST /v1/apps HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
    'GET /v1/\u0001apps HTTP/1.1\r\nhost: x\r\n\r\n',
  ]) {
    const res = await raw(request);
    assertRefused(res, 400, 'malformed_request');
  }
});

test('an Expect the API cannot meet: 417 JSON', async () => {
  const res = await raw('GET /v1/health HTTP/1.1\r\nhost: x\r\nexpect: teapot\r\nconnection: close\r\n\r\n');
  assertRefused(res, 417, 'expectation_failed');
});

test('a request without Host is served, not refused bare', async () => {
  const res = await raw('GET /v1/health HTTP/1.1\r\nconnection: close\r\n\r\n');
  assert.equal(res.status, 200, res.body);
});

test('JSON bodies: too large is 413, wrong types and shapes are 400 naming the field', async () => {
  const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
  assertRefused(
    await daemon.api('POST', '/v1/apps', { body: big, contentType: 'application/json' }),
    413,
    'body_too_large',
  );
  // Each endpoint takes the body its data needs: 64 KB by default, more where a config,
  // secrets or certificates travel.
  assertRefused(
    await daemon.api('POST', '/v1/apps', { body: JSON.stringify({ name: 'x'.repeat(70_000) }) }),
    413,
    'body_too_large',
  );
  const config = `app = "q"\n${'# a comment line\n'.repeat(5_000)}`;
  const deploy = await daemon.api('POST', '/v1/apps/q/deploys', {
    body: JSON.stringify({
      artifact: `sha256:${'0'.repeat(64)}`,
      config: { file: 'berth.toml', text: config },
    }),
  });
  assertRefused(deploy, 422, 'invalid_config');
  assert.match(deploy.body, /more than berth reads \(65536 bytes\)/);
  for (const body of ['[]', '"app"', 'null', '{"name": 5}', '{"name": "a", "extra": 1}', '{"name": {}}']) {
    const res = await daemon.api('POST', '/v1/apps', { body, contentType: 'application/json' });
    assert.ok(res.status === 400, `${body}: ${res.status} ${res.body}`);
  }
  const scale = await daemon.api('POST', '/v1/apps/q/scale', {
    body: '{"count": 1e300}',
    contentType: 'application/json',
  });
  assert.equal(scale.status, 400, scale.body);
});

test('query parameters that are not numbers or booleans: 400 naming the parameter', async () => {
  for (const [path, name] of [
    ['/v1/apps/q/logs?lines=abc', 'lines'],
    ['/v1/apps/q/logs?lines=-1', 'lines'],
    ['/v1/apps/q/logs?lines=99999999999999999999', 'lines'],
    ['/v1/apps/q/logs?follow=maybe', 'follow'],
    ['/v1/apps/q/events?after=1e3', 'after'],
    ['/v1/apps/q/events?after=-5', 'after'],
    ['/v1/apps/q/ips/127.0.0.1?port=0x50', 'port'],
    ['/v1/apps/q/volumes/vol_x?force=yes', 'force'],
  ] as const) {
    const method = path.includes('/ips/') || path.includes('/volumes/') ? 'DELETE' : 'GET';
    const res = await daemon.api(method, path);
    assertRefused(res, 400, 'invalid_request');
    assert.match(res.body, new RegExp(`${name}=`), path);
  }
  assert.equal((await daemon.api('GET', '/v1/apps/q/events?after=0')).status, 200);
});

test('every API route, with hostile path parameters, queries and bodies: never a 5xx', async () => {
  const doc = JSON.parse((await daemon.api('GET', '/v1/openapi.json', { token: null })).body) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const values = ['%ZZ', 'x'.repeat(300), '..', '%2e%2e', 'A%20B', '%00', '-1', 'v99999999999999999999', 'é'];
  const bodies = ['{', '[]', 'null', '{"name":5,"count":"x","version":-1}', '{"config":{"text":5}}'];
  let requests = 0;
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const method of Object.keys(methods).map((m) => m.toUpperCase())) {
      // A path without parameters answers reads; only its bodies can be wrong.
      if (!template.includes('{') && (method === 'GET' || method === 'HEAD')) continue;
      // Mutating calls on the one real app are left out: they would act, not refuse.
      for (const value of values) {
        const path = template.replace(/\{\w+\}/g, encodeURI(value).replace(/%25/g, '%'));
        const query = '?lines=x&after=x&port=x&force=x&follow=x&machine=%00';
        for (const body of method === 'GET' || method === 'HEAD' ? [undefined] : bodies) {
          const res = await daemon.api(method, path + query, {
            ...(body !== undefined && { body, contentType: 'application/json' }),
          });
          requests++;
          assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.body}`);
          if (method !== 'HEAD') {
            const parsed = JSON.parse(res.body) as { error?: { code?: string } };
            assert.ok(parsed.error?.code, `${method} ${path}: a coded error`);
          }
        }
      }
    }
  }
  assert.ok(requests > 100, `${requests} requests`);
});

test('none of the above left a stack trace or an internal error in the daemon log', () => {
  const log = daemon.daemonLog();
  assert.doesNotMatch(log, /internal error/);
  assert.doesNotMatch(log, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
});
