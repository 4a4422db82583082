// The request head parser of the proxy's client side (client-connection.ts): a request line and
// headers as RFC 9112 writes them, and nothing looser. It is at least as strict as node's
// llhttp (a property test feeds both the same bytes): whatever could make berth and a machine
// disagree on where a request ends is refused, never repaired. Transfer-Encoding beside
// Content-Length, two Content-Lengths (even equal), a coding other than a lone `chunked`,
// `chunked` on HTTP/1.0, folded lines, whitespace before a colon, bare CR or LF, NUL and other
// control bytes, two Host headers, an HTTP/1.1 request without one: all 400. The body's framing
// is decided here; chunked bodies are decoded by ChunkedBodyDecoder (request-body.ts).

/** How the request body is framed. */
export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
export type BodyFraming = typeof BODY_NONE | typeof BODY_LENGTH | typeof BODY_CHUNKED;

/** The request line and headers, at most: a longer request line is 414, a longer head 431. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Header lines per request (node drops those past its 2000 without a word; we refuse). */
export const MAX_HEADERS = 256;

export interface RequestHead {
  method: string;
  /** The request target as sent (latin1: one char per byte). */
  url: string;
  /** HTTP/1.0 (else HTTP/1.1). */
  http10: boolean;
  /** Flat `[name, value, …]` as received, values without surrounding whitespace. */
  headers: string[];
  /** The Host header; undefined when absent (allowed on HTTP/1.0 only). */
  host: string | undefined;
  body: BodyFraming;
  /** With BODY_LENGTH: the Content-Length (never 0: a zero length is BODY_NONE). */
  contentLength: number;
  /** Whether the client lets the connection carry another request after this one. */
  keepAlive: boolean;
  /** `Connection: upgrade` with an `Upgrade` header (a WebSocket, say). */
  upgrade: boolean;
  /** `Expect: 100-continue` on HTTP/1.1: the client waits for a 100 before sending the body. */
  expectContinue: boolean;
}

/** A request berth refuses: `status` (400, 414, 417, 431) and what was wrong with it. */
export class RequestParseError extends Error {
  constructor(
    readonly status: 400 | 405 | 414 | 417 | 431,
    message: string,
  ) {
    super(message);
    this.name = 'RequestParseError';
  }
}

// Methods node's parser knows, less CONNECT (the proxy tunnels only upgrades).
const METHODS = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'ACL', 'BIND', 'CHECKOUT',
  'COPY', 'LINK', 'LOCK', 'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE',
  'NOTIFY', 'PROPFIND', 'PROPPATCH', 'PURGE', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE',
  'SUBSCRIBE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
]); // prettier-ignore

/** RFC 9110 token: a header name or a method. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Bytes no line of a head may hold: controls but HTAB (CR and LF only end lines). */
// eslint-disable-next-line no-control-regex -- control bytes are what it finds
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Request target: origin-form, absolute-form (http/https) or `*`; printable ASCII only (llhttp too). */

const TARGET = /^(?:\/|https?:\/\/)[\x21-\x7e]*$|^\*$/i;

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

/** Past the empty lines a client may send before a request line (RFC 9112 §2.2). */
export function skipEmptyLines(data: Buffer, from: number): number {
  while (data[from] === CR && data[from + 1] === LF) from += 2;
  return from;
}

/**
 * Where the head that starts at `data[start]` ends (the index of the CRLFCRLF after it), or -1
 * while it is incomplete. Throws RequestParseError: 414 for a request line over
 * MAX_HEAD_BYTES, 431 for a longer head, 400 for a bare LF (it would never end).
 */
export function findHeadEnd(data: Buffer, start: number): number {
  const end = data.indexOf(HEAD_END, start);
  if (end === -1 ? data.length - start > MAX_HEAD_BYTES : end - start > MAX_HEAD_BYTES) {
    const eol = data.indexOf(CRLF, start);
    if (eol === -1 || eol - start > MAX_HEAD_BYTES) {
      throw new RequestParseError(414, `the request line is longer than ${MAX_HEAD_BYTES / 1024} KiB`);
    }
    throw new RequestParseError(431, `the request head is larger than ${MAX_HEAD_BYTES / 1024} KiB`);
  }
  if (end === -1 && hasBareLf(data, start)) {
    throw new RequestParseError(400, 'a line of the request head ends in a bare LF');
  }
  return end;
}

/** Whether an LF at or after `from` is not preceded by CR. */
function hasBareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(LF, from); i !== -1; i = buf.indexOf(LF, i + 1)) {
    if (i === from || buf[i - 1] !== CR) return true;
  }
  return false;
}

/**
 * Parses a request head: `text` is its bytes as latin1, up to and without the blank line that
 * ends it (leading empty lines already skipped). Throws RequestParseError.
 */
export function parseRequestHead(text: string): RequestHead {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const line = text.slice(0, eol);
  if (CONTROL.test(line)) refuse('the request line holds a control character or a bare CR or LF');
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 === -1 || line.indexOf(' ', sp2 + 1) !== -1) {
    refuse('the request line is not "METHOD target HTTP/1.1"');
  }
  const method = line.slice(0, sp1);
  if (!METHODS.has(method)) {
    if (method === 'CONNECT') {
      throw new RequestParseError(
        405,
        'CONNECT is not served: berth proxies HTTP by Host, it is not a forward proxy',
      );
    }
    refuse(`unknown method "${printable(method)}"`);
  }
  const url = line.slice(sp1 + 1, sp2);
  if (!TARGET.test(url)) refuse('the request target is not a path (/…), an http(s) URL or *');
  const version = line.slice(sp2 + 1);
  let http10 = false;
  if (version === 'HTTP/1.0') http10 = true;
  else if (version !== 'HTTP/1.1') refuse('only HTTP/1.0 and HTTP/1.1 are served on this port');

  const headers: string[] = [];
  let host: string | undefined;
  let hosts = 0;
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: string | undefined;
  let upgradeHeader = false;
  let expect: string | undefined;
  let pos = eol + 2;
  while (pos < text.length) {
    let lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd === -1) lineEnd = text.length;
    const first = text.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) refuse('a header line is folded (starts with whitespace)');
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > lineEnd) refuse('a header line has no colon');
    const name = text.slice(pos, colon);
    if (!TOKEN.test(name)) {
      const last = name.charCodeAt(name.length - 1);
      refuse(
        last === 0x20 || last === 0x09
          ? 'whitespace between a header name and its colon'
          : 'a header name is empty or holds a character a name cannot',
      );
    }
    const value = trimOws(text, colon + 1, lineEnd);
    if (CONTROL.test(value)) refuse(`header ${name} holds a control character or a bare CR or LF`);
    if (headers.length >= MAX_HEADERS * 2) {
      throw new RequestParseError(431, `the request has more than ${MAX_HEADERS} header lines`);
    }
    headers.push(name, value);
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          hosts++;
          host = value;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect') expect = expect === undefined ? value : `${expect}, ${value}`;
        break;
      case 7:
        // An empty one names no protocol: not an upgrade (llhttp agrees).
        if (value !== '' && name.toLowerCase() === 'upgrade') upgradeHeader = true;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          connection = connection === undefined ? value : `${connection}, ${value}`;
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (contentLength !== -1) refuse('the request has more than one Content-Length');
          contentLength = parseLength(value);
          if (contentLength === -1) refuse('Content-Length is not a number of bytes');
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          if (transferEncoding !== undefined) refuse('the request has more than one Transfer-Encoding');
          transferEncoding = value;
        }
        break;
    }
    pos = lineEnd + 2;
  }

  if (hosts > 1) refuse('the request has more than one Host header');
  if (hosts === 0 && !http10) refuse('an HTTP/1.1 request needs a Host header');

  let body: BodyFraming = BODY_NONE;
  if (transferEncoding !== undefined) {
    if (contentLength !== -1) refuse('the request has both Transfer-Encoding and Content-Length');
    if (http10) refuse('Transfer-Encoding is not allowed on HTTP/1.0');
    if (transferEncoding.toLowerCase() !== 'chunked') {
      refuse('Transfer-Encoding other than a single "chunked" is not accepted');
    }
    body = BODY_CHUNKED;
  } else if (contentLength > 0) {
    body = BODY_LENGTH;
  }

  let keepAlive = !http10;
  let upgradeToken = false;
  if (connection !== undefined) {
    const v = connection.toLowerCase();
    if (v === 'keep-alive') keepAlive = true;
    else if (v === 'close') keepAlive = false;
    else {
      for (const part of v.split(',')) {
        const t = part.trim();
        if (t === 'close') keepAlive = false;
        else if (t === 'keep-alive' && http10) keepAlive = true;
        else if (t === 'upgrade') upgradeToken = true;
      }
      // `close` wins over `keep-alive` whatever their order.
      if (hasToken(v, 'close')) keepAlive = false;
    }
  }
  const upgrade = upgradeToken && upgradeHeader;
  if (upgrade && body !== BODY_NONE) refuse('an upgrade request cannot carry a body');

  let expectContinue = false;
  if (expect !== undefined && !http10) {
    if (/(?:^|\W)100-continue(?:$|\W)/i.test(expect)) expectContinue = true;
    else throw new RequestParseError(417, `berth cannot meet the expectation "${printable(expect)}"`);
  }

  return {
    method,
    url,
    http10,
    headers,
    host,
    body,
    contentLength: body === BODY_LENGTH ? contentLength : 0,
    keepAlive,
    upgrade,
    expectContinue,
  };
}

function refuse(message: string): never {
  throw new RequestParseError(400, message);
}

function trimOws(text: string, from: number, to: number): string {
  while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
  return text.slice(from, to);
}

/** 1 to 15 digits, nothing else (no sign, no list, no spaces inside); -1 otherwise. */
function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function hasToken(lowerList: string, token: string): boolean {
  for (const part of lowerList.split(',')) if (part.trim() === token) return true;
  return false;
}

/** A value for a message: printable ASCII, cut at 60 characters. */
function printable(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}
