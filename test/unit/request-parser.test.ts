// The proxy's request head parser and chunked body decoder, table by table: what they accept
// (and how they frame it), and every smuggling disguise and malformed head they must refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedBodyDecoder } from '../../src/proxy/request-body.js';
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  BODY_NONE,
  MAX_HEAD_BYTES,
  RequestParseError,
  findHeadEnd,
  parseRequestHead,
  skipEmptyLines,
  type RequestHead,
} from '../../src/proxy/request-parser.js';

/** Parses a whole head as the client connection does (`wire` ends with its blank line). */
function parse(wire: string): RequestHead {
  const data = Buffer.from(wire, 'latin1');
  const start = skipEmptyLines(data, 0);
  const end = findHeadEnd(data, start);
  assert.notEqual(end, -1, 'head is complete');
  return parseRequestHead(data.toString('latin1', start, end));
}

function refusal(wire: string): { status: number; message: string } {
  try {
    parse(wire);
  } catch (err) {
    if (err instanceof RequestParseError) return { status: err.status, message: err.message };
    throw err;
  }
  assert.fail(`accepted: ${JSON.stringify(wire)}`);
}

const H = 'Host: a.localhost\r\n';

test('accepted heads and how they are framed', () => {
  const cases: [string, string, Partial<RequestHead>][] = [
    [
      'plain GET',
      `GET /x?y=1 HTTP/1.1\r\n${H}\r\n`,
      { method: 'GET', url: '/x?y=1', http10: false, body: BODY_NONE, keepAlive: true, host: 'a.localhost' },
    ],
    [
      'Content-Length',
      `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`,
      { body: BODY_LENGTH, contentLength: 5 },
    ],
    ['Content-Length 0 is no body', `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, { body: BODY_NONE }],
    ['chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`, { body: BODY_CHUNKED }],
    [
      'chunked in any case',
      `POST / HTTP/1.1\r\n${H}transfer-encoding: Chunked\r\n\r\n`,
      { body: BODY_CHUNKED },
    ],
    [
      'chunked with OWS',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding:  chunked \t\r\n\r\n`,
      { body: BODY_CHUNKED },
    ],
    ['Connection: close', `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, { keepAlive: false }],
    [
      'close wins over keep-alive',
      `GET / HTTP/1.1\r\n${H}Connection: keep-alive, close\r\n\r\n`,
      { keepAlive: false },
    ],
    ['HTTP/1.0 closes', 'GET / HTTP/1.0\r\n\r\n', { http10: true, keepAlive: false, host: undefined }],
    [
      'HTTP/1.0 keep-alive',
      'GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n',
      { http10: true, keepAlive: true },
    ],
    [
      'upgrade',
      `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      { upgrade: true, body: BODY_NONE },
    ],
    [
      'Upgrade without Connection: upgrade',
      `GET / HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n`,
      { upgrade: false },
    ],
    [
      'Expect: 100-continue',
      `PUT / HTTP/1.1\r\n${H}Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n`,
      { expectContinue: true },
    ],
    ['Expect ignored on HTTP/1.0', 'PUT / HTTP/1.0\r\nExpect: x\r\n\r\n', { expectContinue: false }],
    ['empty lines before the request line', `\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`, { method: 'GET' }],
    [
      'absolute-form target',
      `GET http://a.localhost/p HTTP/1.1\r\n${H}\r\n`,
      { url: 'http://a.localhost/p' },
    ],
    ['asterisk-form target', `OPTIONS * HTTP/1.1\r\n${H}\r\n`, { url: '*' }],
    ['WebDAV method', `PROPFIND / HTTP/1.1\r\n${H}\r\n`, { method: 'PROPFIND' }],
    ['empty header value', `GET / HTTP/1.1\r\n${H}X-Empty:\r\n\r\n`, {}],
  ];
  for (const [name, wire, expected] of cases) {
    const head = parse(wire);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(head[key as keyof RequestHead], value, `${name}: ${key}`);
    }
  }
});

test('headers are kept in order, as sent, values without surrounding whitespace', () => {
  const head = parse(
    `GET / HTTP/1.1\r\nHost:  a.localhost \r\nX-Two: 1\r\nx-two: 2\r\nX-Tab:\tv\tw\t\r\n\r\n`,
  );
  assert.deepEqual(head.headers, ['Host', 'a.localhost', 'X-Two', '1', 'x-two', '2', 'X-Tab', 'v\tw']);
});

test('refused heads: smuggling disguises, malformed lines, missing or doubled Host', () => {
  const cases: [string, string, number][] = [
    [
      'CL and TE together',
      `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`,
      400,
    ],
    [
      'TE and CL together',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`,
      400,
    ],
    [
      'two equal Content-Lengths',
      `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\n`,
      400,
    ],
    ['two Content-Lengths', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, 400],
    ['Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\n`, 400],
    ['Content-Length with a sign', `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\n`, 400],
    ['negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400],
    ['hex Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\n`, 400],
    ['huge Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 9999999999999999\r\n\r\n`, 400],
    ['space inside Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\n`, 400],
    ['xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, 400],
    ['chunked, then another coding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 400],
    ['a coding, then chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`, 400],
    [
      'chunked twice',
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
      400,
    ],
    ['chunked with NUL', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\x00\r\n\r\n`, 400],
    ['chunked with vertical tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \x0bchunked\r\n\r\n`, 400],
    ['TE on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['TE name with space before colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n`, 400],
    ['TE folded', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n`, 400],
    ['any folded line', `GET / HTTP/1.1\r\n${H}X-A: 1\r\n\t2\r\n\r\n`, 400],
    ['bare CR in a value', `GET / HTTP/1.1\r\n${H}X-A: 1\r2\r\n\r\n`, 400],
    ['bare LF in a value', `GET / HTTP/1.1\r\n${H}X-A: 1\n2\r\n\r\n`, 400],
    ['bare LF ending a line', `GET / HTTP/1.1\r\n${H}X-A: 1\nX-B: 2\r\n\r\n`, 400],
    ['NUL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, 400],
    ['DEL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, 400],
    ['no colon', `GET / HTTP/1.1\r\n${H}X-A 1\r\n\r\n`, 400],
    ['empty name', `GET / HTTP/1.1\r\n${H}: 1\r\n\r\n`, 400],
    ['space in a name', `GET / HTTP/1.1\r\n${H}X A: 1\r\n\r\n`, 400],
    ['no Host on HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', 400],
    ['two Hosts', `GET / HTTP/1.1\r\n${H}Host: b.localhost\r\n\r\n`, 400],
    ['lower-case method', `get / HTTP/1.1\r\n${H}\r\n`, 400],
    ['unknown method', `BREW / HTTP/1.1\r\n${H}\r\n`, 400],
    ['CONNECT', `CONNECT a.localhost:443 HTTP/1.1\r\n${H}\r\n`, 405],
    ['two spaces in the request line', `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
    ['space in the target', `GET /a b HTTP/1.1\r\n${H}\r\n`, 400],
    ['byte above 0x7f in the target', `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, 400],
    ['tab in the target', `GET /a\tb HTTP/1.1\r\n${H}\r\n`, 400],
    ['target not a path', `GET a HTTP/1.1\r\n${H}\r\n`, 400],
    ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`, 400],
    ['HTTP/2.0', `GET / HTTP/2.0\r\n${H}\r\n`, 400],
    ['lower-case version', `GET / http/1.1\r\n${H}\r\n`, 400],
    ['no version', `GET /\r\n${H}\r\n`, 400],
    [
      'upgrade with a body',
      `POST / HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: x\r\nContent-Length: 1\r\n\r\n`,
      400,
    ],
    ['Expect other than 100-continue', `PUT / HTTP/1.1\r\n${H}Expect: 200-ok\r\n\r\n`, 417],
    ['too many header lines', `GET / HTTP/1.1\r\n${H}${'a: b\r\n'.repeat(300)}\r\n`, 431],
  ];
  for (const [name, wire, status] of cases) {
    const r = refusal(wire);
    assert.equal(r.status, status, `${name}: ${r.message}`);
    assert.ok(r.message.length > 10, name);
  }
});

test('head sizes: a long request line is 414, a long head 431; an unfinished head waits', () => {
  const longLine = Buffer.from(`GET /${'a'.repeat(MAX_HEAD_BYTES)} HTTP/1.1\r\n`, 'latin1');
  assert.throws(() => findHeadEnd(longLine, 0), { status: 414 });
  const longHead = Buffer.from(`GET / HTTP/1.1\r\n${H}X-A: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n`, 'latin1');
  assert.throws(() => findHeadEnd(longHead, 0), { status: 431 });
  assert.equal(findHeadEnd(Buffer.from(`GET / HTTP/1.1\r\n${H}`, 'latin1'), 0), -1);
  // A bare LF that would never end the head is refused at once.
  assert.throws(() => findHeadEnd(Buffer.from('GET / HTTP/1.1\nHost: a\n', 'latin1'), 0), { status: 400 });
});

/** Decodes `wire` whole, split at every position and byte by byte; all must agree. */
function decodeAllWays(wire: string): { body: string; rest: string } {
  const run = (pieces: string[]) => {
    const d = new ChunkedBodyDecoder();
    let body = '';
    let rest = '';
    for (const piece of pieces) {
      const data = Buffer.from(piece, 'latin1');
      if (d.done) {
        rest += piece;
        continue;
      }
      const stop = d.decode(data, 0, (c) => ((body += c.toString('latin1')), true));
      rest += piece.slice(stop);
    }
    assert.ok(d.done, 'body complete');
    return { body, rest };
  };
  const whole = run([wire]);
  for (let cut = 1; cut < wire.length; cut++) {
    assert.deepEqual(run([wire.slice(0, cut), wire.slice(cut)]), whole, `split at ${cut}`);
  }
  assert.deepEqual(run([...wire]), whole, 'byte by byte');
  return whole;
}

test('chunked bodies: sizes, extensions and trailers; what follows is left alone', () => {
  const cases: [string, string, string][] = [
    ['one chunk', '5\r\nhello\r\n0\r\n\r\n', 'hello'],
    [
      'two chunks, hex sizes in any case',
      'a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n',
      '0123456789abcdefghij',
    ],
    ['extension', '5;name=value\r\nhello\r\n0;x\r\n\r\n', 'hello'],
    ['quoted extension', '5;a="b c"\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['trailers', '5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n', 'hello'],
    ['empty body', '0\r\n\r\n', ''],
  ];
  for (const [name, wire, body] of cases) {
    const out = decodeAllWays(wire + 'GET / HTTP/1.1\r\n');
    assert.equal(out.body, body, name);
    assert.equal(out.rest, 'GET / HTTP/1.1\r\n', name);
  }
});

test('chunked bodies refused: bad sizes, bare LF, data longer than its size, bad trailers', () => {
  const cases: [string, string][] = [
    ['no size', '\r\nhello\r\n0\r\n\r\n'],
    ['size with a sign', '+5\r\nhello\r\n0\r\n\r\n'],
    ['size in 0x form', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['size too long', '1000000000000\r\n'],
    ['whitespace after the size', '5 \r\nhello\r\n0\r\n\r\n'],
    ['whitespace before an extension', '5 ;a\r\nhello\r\n0\r\n\r\n'],
    ['bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
    ['bare CR after the size', '5\rhello\r\n0\r\n\r\n'],
    ['LF in an extension', '5;a\nb\r\nhello\r\n0\r\n\r\n'],
    ['NUL in an extension', '5;a\x00\r\nhello\r\n0\r\n\r\n'],
    ['data longer than its size', '5\r\nhello!\r\n0\r\n\r\n'],
    ['bare LF after data', '5\r\nhello\n0\r\n\r\n'],
    ['trailer without a colon', '0\r\nX-A 1\r\n\r\n'],
    ['trailer with a space before the colon', '0\r\nX-A : 1\r\n\r\n'],
    ['trailer ending in a bare LF', '0\r\nX-A: 1\n\r\n'],
    ['final line a bare LF', '0\r\n\n'],
    ['extension over 4 KiB', `5;${'a'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`],
  ];
  for (const [name, wire] of cases) {
    const d = new ChunkedBodyDecoder();
    assert.throws(
      () => d.decode(Buffer.from(wire, 'latin1'), 0, () => true),
      (err: unknown) => err instanceof RequestParseError && err.status === 400,
      name,
    );
  }
});

test('the decoder stops after a piece when told to, and goes on from there', () => {
  const wire = Buffer.from('3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n', 'latin1');
  const d = new ChunkedBodyDecoder();
  const pieces: string[] = [];
  const stop = d.decode(wire, 0, (c) => (pieces.push(c.toString()), false));
  assert.deepEqual(pieces, ['abc']);
  assert.equal(d.done, false);
  const end = d.decode(wire, stop, (c) => (pieces.push(c.toString()), true));
  assert.deepEqual(pieces, ['abc', 'def']);
  assert.equal(d.done, true);
  assert.equal(end, wire.length);
});
