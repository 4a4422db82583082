import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParseError, ResponseParser, type ResponseHead } from '../../src/proxy/response-parser.js';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  lasts: number;
  ended: number;
}

function parser(): { p: ResponseParser; out: Parsed } {
  const out: Parsed = { heads: [], body: '', lasts: 0, ended: 0 };
  const p = new ResponseParser({
    onHead: (h) => out.heads.push(h),
    onBody: (chunk, last) => {
      out.body += chunk.toString('latin1');
      if (last) out.lasts++;
    },
    onEnd: () => out.ended++,
  });
  return { p, out };
}

/** Parse `wire` whole, and split at every position, and byte by byte: all must agree. */
function parseAllWays(wire: string, noBody = false): Parsed {
  const whole = parser();
  whole.p.start(noBody);
  whole.p.execute(Buffer.from(wire, 'latin1'));
  const strip = (o: Parsed) => ({ ...o, heads: o.heads.map((h) => ({ ...h })), lasts: 0 });
  for (let cut = 1; cut < wire.length; cut++) {
    const split = parser();
    split.p.start(noBody);
    split.p.execute(Buffer.from(wire.slice(0, cut), 'latin1'));
    split.p.execute(Buffer.from(wire.slice(cut), 'latin1'));
    assert.deepEqual(strip(split.out), strip(whole.out), `split at ${cut}`);
  }
  const bytes = parser();
  bytes.p.start(noBody);
  for (let i = 0; i < wire.length; i++) bytes.p.execute(Buffer.from(wire[i]!, 'latin1'));
  assert.deepEqual(strip(bytes.out), strip(whole.out), 'byte by byte');
  return whole.out;
}

test('Content-Length response', () => {
  const out = parseAllWays('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
  assert.equal(out.heads.length, 1);
  const h = out.heads[0]!;
  assert.equal(h.status, 200);
  assert.equal(h.reason, 'OK');
  assert.deepEqual(h.headers, ['Content-Type', 'text/plain', 'Content-Length', '5']);
  assert.equal(h.keepAlive, true);
  assert.equal(h.chunked, false);
  assert.equal(out.body, 'hello');
  assert.equal(out.ended, 1);
  assert.equal(out.lasts, 1);
});

test('a body arriving in one piece with its head is marked last', () => {
  const { p, out } = parser();
  p.start(false);
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
  assert.equal(out.lasts, 1);
  assert.equal(p.complete, true);
});

test('chunked response with extensions and trailers', () => {
  const wire =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;name=value\r\nhello\r\n' +
    'A\r\n, world!!!\r\n' +
    '0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n';
  const out = parseAllWays(wire);
  assert.equal(out.body, 'hello, world!!!');
  assert.equal(out.heads[0]!.chunked, true);
  assert.equal(out.heads[0]!.keepAlive, true);
  assert.equal(out.ended, 1);
});

test('chunked without trailers, upper-case hex', () => {
  const out = parseAllWays(
    'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n1F\r\n' + 'x'.repeat(31) + '\r\n0\r\n\r\n',
  );
  assert.equal(out.body, 'x'.repeat(31));
  assert.equal(out.ended, 1);
});

test('Transfer-Encoding beats Content-Length and the connection is not reused', () => {
  const out = parseAllWays(
    'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  );
  assert.equal(out.body, 'ok');
  assert.equal(out.heads[0]!.keepAlive, false);
});

test('responses without a body', () => {
  for (const [wire, noBody] of [
    ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', true],
    ['HTTP/1.1 204 No Content\r\n\r\n', false],
    ['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', false],
  ] as const) {
    const out = parseAllWays(wire, noBody);
    assert.equal(out.body, '', wire);
    assert.equal(out.ended, 1, wire);
  }
});

test('interim 1xx responses are skipped', () => {
  const out = parseAllWays(
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
  );
  assert.equal(out.heads.length, 1);
  assert.equal(out.heads[0]!.status, 201);
  assert.equal(out.body, 'ok');
});

test('a body without length runs until the machine closes', () => {
  const { p, out } = parser();
  p.start(false);
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome'));
  p.execute(Buffer.from(' more'));
  assert.equal(out.ended, 0);
  assert.equal(out.heads[0]!.keepAlive, false);
  assert.equal(p.finish(), true);
  assert.equal(out.body, 'some more');
  assert.equal(out.ended, 1);
});

test('a close before the body is complete is reported', () => {
  const { p, out } = parser();
  p.start(false);
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.equal(p.finish(), false);
  assert.equal(out.ended, 0);
  const fresh = parser();
  fresh.p.start(false);
  assert.equal(fresh.p.finish(), false);
  assert.equal(fresh.p.started, false);
});

test('keep-alive rules: Connection close, HTTP/1.0, Keep-Alive timeout', () => {
  const cases: [string, boolean, number | undefined][] = [
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false, undefined],
    ['HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n', false, undefined],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false, undefined],
    ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true, undefined],
    ['HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n', true, 5000],
    ['HTTP/1.1 200 OK\r\nKeep-Alive: max=100, timeout=65\r\nContent-Length: 0\r\n\r\n', true, 65000],
  ];
  for (const [wire, keepAlive, timeout] of cases) {
    const out = parseAllWays(wire);
    assert.equal(out.heads[0]!.keepAlive, keepAlive, wire);
    assert.equal(out.heads[0]!.keepAliveTimeoutMs, timeout, wire);
  }
});

test('header values are trimmed; repeated headers and empty values are kept', () => {
  const out = parseAllWays(
    'HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie:b=2\r\nX-Empty:\r\nX-Pad: \t v \t\r\nContent-Length: 0\r\n\r\n',
  );
  assert.deepEqual(out.heads[0]!.headers, [
    'Set-Cookie',
    'a=1',
    'Set-Cookie',
    'b=2',
    'X-Empty',
    '',
    'X-Pad',
    'v',
    'Content-Length',
    '0',
  ]);
  assert.equal(out.heads[0]!.status, 404);
});

test('status line without a reason', () => {
  const out = parseAllWays('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n');
  assert.equal(out.heads[0]!.status, 200);
  assert.equal(out.heads[0]!.reason, '');
});

test('repeated equal Content-Length values are accepted', () => {
  const out = parseAllWays('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok');
  assert.equal(out.body, 'ok');
});

test('malformed responses are errors', () => {
  const bad = [
    'SSH-2.0-OpenSSH\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 2000 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcd\r\n',
    'HTTP/1.1 101 Switching Protocols\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab',
  ];
  for (const wire of bad) {
    const { p } = parser();
    p.start(false);
    assert.throws(() => p.execute(Buffer.from(wire, 'latin1')), ResponseParseError, JSON.stringify(wire));
    // Once failed, it ignores the rest.
    p.execute(Buffer.from('more'));
  }
});

test('data when no response is expected is an error', () => {
  const { p } = parser();
  assert.throws(() => p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), ResponseParseError);
  const done = parser();
  done.p.start(false);
  done.p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.throws(() => done.p.execute(Buffer.from('HTTP/1.1 200 OK\r\n')), ResponseParseError);
});

test('a head over 64 KiB is an error', () => {
  const { p } = parser();
  p.start(false);
  const big = Buffer.from('HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(70 * 1024));
  assert.throws(() => {
    for (let i = 0; i < big.length; i += 1000) p.execute(big.subarray(i, i + 1000));
  }, ResponseParseError);
});

test('stop() silences the rest of a response; start() reuses the parser', () => {
  const { p, out } = parser();
  p.start(false);
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  p.stop();
  p.execute(Buffer.from('defghij'));
  assert.equal(out.body, 'abc');
  p.start(false);
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  assert.equal(out.body, 'abcok');
  assert.equal(out.ended, 1);
});

test('consecutive responses on one connection', () => {
  const { p, out } = parser();
  for (let i = 0; i < 3; i++) {
    p.start(false);
    p.execute(Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n${i}\r\n0\r\n\r\n`));
    assert.equal(p.complete, true);
  }
  assert.equal(out.body, '012');
  assert.equal(out.ended, 3);
});
