// Property test: berth's request parser against node's llhttp. Random requests, built from
// the parts smuggling lives in (framing headers and their disguises, line ends, chunk
// framing) and then mutated byte by byte, go to both: berth's parser here, llhttp through a
// real node:http server on a socket. Whatever berth accepts, llhttp must accept too, with the
// same method, target, headers and body; berth may refuse more, never less. Fixed seed, so a
// failure repeats; fast-check prints the smallest input that fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { ChunkedBodyDecoder } from '../../src/proxy/request-body.js';
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  RequestParseError,
  findHeadEnd,
  parseRequestHead,
  skipEmptyLines,
} from '../../src/proxy/request-parser.js';

const SEED = 20_261_201;
const RUNS = 1500;

/** What a parser made of the first request in some bytes. */
interface Seen {
  method: string;
  url: string;
  headers: string[];
  /** The body, latin1; undefined for an upgrade (the rest is not HTTP). */
  body: string | undefined;
}

type BerthOutcome = { kind: 'accepted'; seen: Seen } | { kind: 'refused' | 'incomplete' };

/** berth's reading of the first request, as the client connection does it. */
function berthRead(bytes: Buffer): BerthOutcome {
  try {
    const start = skipEmptyLines(bytes, 0);
    const end = findHeadEnd(bytes, start);
    if (end === -1) return { kind: 'incomplete' };
    const head = parseRequestHead(bytes.toString('latin1', start, end));
    const seen: Seen = { method: head.method, url: head.url, headers: head.headers, body: '' };
    let offset = end + 4;
    if (head.upgrade) {
      seen.body = undefined;
    } else if (head.body === BODY_LENGTH) {
      if (bytes.length - offset < head.contentLength) return { kind: 'incomplete' };
      seen.body = bytes.toString('latin1', offset, offset + head.contentLength);
    } else if (head.body === BODY_CHUNKED) {
      const decoder = new ChunkedBodyDecoder();
      let body = '';
      offset = decoder.decode(bytes, offset, (c) => ((body += c.toString('latin1')), true));
      if (!decoder.done) return { kind: 'incomplete' };
      seen.body = body;
    }
    return { kind: 'accepted', seen };
  } catch (err) {
    if (err instanceof RequestParseError) return { kind: 'refused' };
    throw err;
  }
}

let server: http.Server;
let port: number;
/** The outcome of the connection being tested (one at a time). */
let current: { seen?: Seen; bodyComplete: boolean; error?: string } | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const record = current!;
    const seen: Seen = { method: req.method!, url: req.url!, headers: req.rawHeaders, body: '' };
    record.seen = seen;
    req.setEncoding('latin1');
    req.on('data', (c: string) => (seen.body += c));
    req.on('end', () => {
      record.bodyComplete = true;
      res.end();
    });
    req.on('error', () => {});
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    current!.seen = { method: req.method!, url: req.url!, headers: req.rawHeaders, body: undefined };
    current!.bodyComplete = true;
    socket.destroy();
  });
  server.on('clientError', (err: Error, socket: net.Socket) => {
    if (current) current.error ??= err.message;
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as net.AddressInfo).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

/** What llhttp (node's http server) made of the bytes: sent, then the connection half-closed. */
async function llhttpRead(bytes: Buffer): Promise<NonNullable<typeof current>> {
  const record: NonNullable<typeof current> = { bodyComplete: false };
  current = record;
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.on('data', () => {});
  await once(socket, 'connect');
  socket.end(bytes);
  const timer = setTimeout(() => socket.destroy(), 2000);
  await once(socket, 'close');
  clearTimeout(timer);
  current = undefined;
  return record;
}

// --- generators: the parts of a request, mostly well-formed, with the disguises smuggling uses ---

/** Mostly `usual`, sometimes one of `odd`. */
function mostly<T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: usual, weight: 14 }, { arbitrary: odd, weight: 1 });
}

const methods = mostly(
  fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'PROPFIND', 'DELETE'),
  fc.constantFrom('CONNECT', 'get', 'GE T', 'BREW', '', 'PRI'),
);
const targets = mostly(
  fc.constantFrom('/', '/a?b=c', '/a/b', '*', 'http://h/p', '/a#f', '//x'),
  fc.oneof(
    fc.constantFrom('x', '', 'https://h', 'ftp://h/'),
    fc
      .array(
        fc.constantFrom('a', '/', '%', '?', '#', ' ', '\t', '\x00', '\x7f', '\xe9', '"', '{', '|', '\\'),
        {
          maxLength: 8,
        },
      )
      .map((cs) => '/' + cs.join('')),
  ),
);
const versions = mostly(
  fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
  fc.constantFrom('HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/0.9', 'HTTP/1'),
);
const names = mostly(
  fc.constantFrom(
    'Content-Length',
    'content-length',
    'Transfer-Encoding',
    'transfer-encoding',
    'Connection',
    'Upgrade',
    'Expect',
    'X-A',
    'Accept',
  ),
  fc.constantFrom('Host', 'X A', 'Transfer-Encoding ', ' Host', '', 'X\x00', 'X@', 'Ü'),
);
const values = mostly(
  fc.constantFrom(
    'chunked',
    'Chunked',
    ' chunked',
    'chunked ',
    '\tchunked',
    '0',
    '3',
    '5',
    '05',
    'close',
    'keep-alive',
    'upgrade',
    'Upgrade, keep-alive',
    'websocket',
    '100-continue',
    '',
    'a b',
    '\xe9t\xe9',
    'x\ty',
  ),
  fc.oneof(
    fc.constantFrom(
      'xchunked',
      'chunked, gzip',
      'gzip, chunked',
      'chunked\x00',
      'chun ked',
      ' 5',
      '+5',
      '-1',
      '5, 5',
      '0x5',
      '99999999999999999999',
      '200-ok',
    ),
    fc
      .array(fc.constantFrom('a', ' ', '\t', '\r', '\n', '\x00', '\x7f', '\xff', ':', ','), { maxLength: 6 })
      .map((cs) => cs.join('')),
  ),
);
const separators = mostly(fc.constantFrom(': ', ':'), fc.constantFrom(':\t', ' :', ':  ', '\t:'));
const lineEnds = mostly(fc.constant('\r\n'), fc.constantFrom('\n', '\r', '\r\n ', '\r\n\t', '\n\r'));
const header = fc
  .tuple(names, separators, values, lineEnds)
  .map(([name, sep, value, end]) => `${name}${sep}${value}${end}`);

const chunk = fc.tuple(
  fc.string({ maxLength: 12 }),
  mostly(fc.constant(''), fc.constantFrom(';ext', ';a=b', ' ;x', ' ', '\t;y', ';\x00', ';a\nb')),
  lineEnds,
  mostly(fc.constant(0), fc.constantFrom(-1, 1)),
);
const chunkedBody = fc
  .tuple(
    fc.array(chunk, { maxLength: 3 }),
    mostly(fc.constantFrom('', 'X-T: 1\r\n'), fc.constantFrom('X-T 1\r\n', 'X-T: 1\n', 'X-T : 1\r\n')),
    mostly(fc.constant('\r\n'), fc.constantFrom('\n', '')),
  )
  .map(([chunks, trailer, end]) => {
    let out = '';
    for (const [data, ext, eol, skew] of chunks) {
      if (data.length === 0) continue;
      out += (data.length + skew).toString(16) + ext + eol + data + '\r\n';
    }
    return out + '0\r\n' + trailer + end;
  });
const body = fc.oneof(fc.constant(''), fc.string({ maxLength: 10 }), chunkedBody);

const requests = fc
  .tuple(
    mostly(fc.constant(''), fc.constantFrom('\r\n', '\n', ' ')),
    methods,
    mostly(fc.constant(' '), fc.constantFrom('  ', '\t')),
    targets,
    versions,
    lineEnds,
    mostly(fc.constant(true), fc.constant(false)),
    fc.array(header, { maxLength: 5 }),
    lineEnds,
    body,
  )
  .map(([lead, method, sp, target, version, eol, withHost, headers, end, payload]) =>
    Buffer.from(
      `${lead}${method}${sp}${target} ${version}${eol}${withHost ? 'Host: a.localhost\r\n' : ''}${headers.join('')}${end}${payload}`,
      'latin1',
    ),
  );

/** A byte changed, inserted or removed somewhere. */
const mutated = fc
  .tuple(
    requests,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('set', 'insert', 'delete'),
        fc.constantFrom(0, 9, 10, 13, 32, 44, 58, 59, 127, 255),
      ),
      { maxLength: 2 },
    ),
  )
  .map(([bytes, edits]) => {
    const b = [...bytes];
    for (const [at, op, byte] of edits) {
      if (b.length === 0) break;
      const i = at % b.length;
      if (op === 'set') b[i] = byte;
      else if (op === 'insert') b.splice(i, 0, byte);
      else b.splice(i, 1);
    }
    return Buffer.from(b);
  });

test('whatever berth accepts, llhttp accepts the same way', async () => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof({ arbitrary: requests, weight: 2 }, { arbitrary: mutated, weight: 1 }),
      async (bytes) => {
        const ours = berthRead(bytes);
        if (ours.kind !== 'accepted') return;
        accepted++;
        const theirs = await llhttpRead(bytes);
        assert.ok(theirs.seen, `llhttp refused what berth accepted (${theirs.error ?? 'no request'})`);
        assert.equal(theirs.seen.method, ours.seen.method, 'method');
        assert.equal(theirs.seen.url, ours.seen.url, 'target');
        assert.deepEqual(theirs.seen.headers, ours.seen.headers, 'headers');
        assert.ok(theirs.bodyComplete, `llhttp did not read the whole body (${theirs.error ?? 'no error'})`);
        assert.equal(theirs.seen.body, ours.seen.body, 'body');
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
  // The generators must reach the accepting side often enough for the property to mean something.
  assert.ok(accepted > RUNS / 10, `only ${accepted} of ${RUNS} requests were accepted`);
});
