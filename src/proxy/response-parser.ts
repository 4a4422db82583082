// Incremental parser for HTTP/1.1 responses from machines. The proxy's upstream side uses it
// instead of node's http client, which costs several times more CPU per request than the rest
// of the proxy. It reads the status line and headers, works out the body's framing
// (RFC 9112 §6.3) and hands the body on without copying; chunked bodies arrive de-chunked.
// Anything it does not understand is an error: the caller answers 502 and drops the socket.

/** A response head. `headers` is flat `[name, value, …]` as received (latin1). */
export interface ResponseHead {
  status: number;
  reason: string;
  headers: string[];
  /** Whether the connection can carry another request once this response is complete. */
  keepAlive: boolean;
  /** From `Keep-Alive: timeout=N`, in ms. */
  keepAliveTimeoutMs: number | undefined;
  /** The body is framed by chunked transfer coding (the caller re-frames it for the client). */
  chunked: boolean;
}

export interface ResponseSink {
  onHead(head: ResponseHead): void;
  /** `last` is true when this chunk completes a Content-Length body. */
  onBody(chunk: Buffer, last: boolean): void;
  onEnd(): void;
}

export class ResponseParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

const IDLE = 0; // no response expected
const HEAD = 1;
const BODY_LENGTH = 2;
const BODY_UNTIL_CLOSE = 3;
const CHUNK_SIZE = 4; // hex digits of a chunk size
const CHUNK_EXT = 5; // `;ext` after the size, up to CR
const CHUNK_SIZE_LF = 6;
const CHUNK_DATA = 7;
const CHUNK_DATA_CR = 8;
const CHUNK_DATA_LF = 9;
const TRAILER_LINE_START = 10;
const TRAILER_LINE = 11;
const TRAILER_END_LF = 12;
const DONE = 13;
const STOPPED = 14; // the caller gave up on this response (or an error occurred)

const CR = 13;
const LF = 10;

/** RFC 9110 token (a header name). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Controls but HTAB (CR and LF included: in a value they are bare ones). */
// eslint-disable-next-line no-control-regex -- control bytes are what it finds
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

export class ResponseParser {
  private state = IDLE;
  private noBody = false;
  /** Head bytes seen so far when a head spans several reads. */
  private partial: Buffer | undefined;
  /** Bytes left in a Content-Length body or the current chunk. */
  private remaining = 0;
  private chunkDigits = 0;
  private trailerBytes = 0;
  private received = false;

  /**
   * `upgrade`: the request asked to switch protocols, so a 101 is a final answer (reported by
   * onHead; whatever follows is not HTTP and is not parsed).
   */
  constructor(
    private readonly sink: ResponseSink,
    private readonly upgrade = false,
  ) {}

  /** Expect a response; `noBody` for a HEAD request (its response has headers only). */
  start(noBody: boolean): void {
    this.state = HEAD;
    this.noBody = noBody;
    this.partial = undefined;
    this.received = false;
  }

  /** Ignore whatever else arrives for this response. */
  stop(): void {
    this.state = STOPPED;
    this.partial = undefined;
  }

  /** Whether any byte of the expected response has arrived. */
  get started(): boolean {
    return this.received;
  }

  /** Whether the last response is complete (the connection is between messages). */
  get complete(): boolean {
    return this.state === DONE;
  }

  /** Feed bytes read from the socket. Throws ResponseParseError on a malformed response. */
  execute(data: Buffer): void {
    if (data.length === 0) return;
    if (this.state === IDLE || this.state === DONE) {
      this.state = STOPPED;
      throw new ResponseParseError('the machine sent data nobody asked for');
    }
    this.received = true;
    let offset = 0;
    while (offset < data.length) {
      switch (this.state) {
        case HEAD:
          offset = this.readHead(data, offset);
          break;
        case BODY_LENGTH: {
          const take = Math.min(this.remaining, data.length - offset);
          this.remaining -= take;
          const chunk = offset === 0 && take === data.length ? data : data.subarray(offset, offset + take);
          offset += take;
          const last = this.remaining === 0;
          if (last) this.state = DONE;
          this.sink.onBody(chunk, last);
          if (last && this.state === DONE) this.sink.onEnd();
          break;
        }
        case BODY_UNTIL_CLOSE:
          this.sink.onBody(offset === 0 ? data : data.subarray(offset), false);
          offset = data.length;
          break;
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, data.length - offset);
          this.remaining -= take;
          const chunk = data.subarray(offset, offset + take);
          offset += take;
          if (this.remaining === 0) this.state = CHUNK_DATA_CR;
          this.sink.onBody(chunk, false);
          break;
        }
        case DONE:
          this.state = STOPPED;
          throw new ResponseParseError('the machine sent more than one response');
        case STOPPED:
          return;
        default:
          offset = this.readChunkFraming(data, offset);
      }
    }
  }

  /**
   * The machine closed the connection. Returns true when that completes the response (a body
   * delimited by close); false when the response was cut short or never came.
   */
  finish(): boolean {
    if (this.state === BODY_UNTIL_CLOSE) {
      this.state = DONE;
      this.sink.onEnd();
      return true;
    }
    const complete = this.state === DONE;
    if (!complete) this.state = STOPPED;
    return complete;
  }

  private readHead(data: Buffer, offset: number): number {
    let buf = data;
    let start = offset;
    let searchFrom = offset;
    if (this.partial !== undefined) {
      // Rare: the head spans reads. Join and search again from just before the seam.
      searchFrom = Math.max(0, this.partial.length - 3);
      buf = Buffer.concat([this.partial, data.subarray(offset)]);
      start = 0;
    }
    const end = buf.indexOf('\r\n\r\n', searchFrom, 'latin1');
    if (end === -1) {
      if (buf.length - start > MAX_HEAD_BYTES) this.fail('the response head is larger than 64 KiB');
      // A head with bare LF line ends would never end: say so now rather than wait.
      if (hasBareLf(buf, Math.max(start, searchFrom - 1)))
        this.fail('a line of the response head ends in a bare LF');
      this.partial = start === 0 && buf !== data ? buf : Buffer.from(buf.subarray(start));
      return data.length;
    }
    // Where the body starts in `data`.
    const next = buf === data ? end + 4 : offset + (end + 4 - (this.partial?.length ?? 0));
    this.partial = undefined;
    if (end - start > MAX_HEAD_BYTES) this.fail('the response head is larger than 64 KiB');
    const text = buf.toString('latin1', start, end);
    // Lines end in CRLF. A bare LF inside a line ends up in a header value or the reason,
    // which node refuses to send on (502); one ending the first line is caught here.
    const lf = text.indexOf('\n');
    if (lf !== -1 && text.charCodeAt(lf - 1) !== CR)
      this.fail('a line of the response head ends in a bare LF');
    this.parseHead(text);
    return next;
  }

  private parseHead(text: string): void {
    // Status line: HTTP/1.x SSS reason
    let eol = text.indexOf('\r\n');
    if (eol === -1) eol = text.length;
    if (
      eol < 12 ||
      !text.startsWith('HTTP/1.') ||
      (text.charCodeAt(7) !== 0x31 && text.charCodeAt(7) !== 0x30) ||
      text.charCodeAt(8) !== 0x20
    ) {
      this.fail('the machine did not answer with HTTP/1.x');
    }
    const http10 = text.charCodeAt(7) === 0x30;
    const status = threeDigits(text, 9);
    if (status < 100 || (eol > 12 && text.charCodeAt(12) !== 0x20)) this.fail('bad status line');
    const reason = eol > 13 ? text.slice(13, eol) : '';
    // Names and values go to the client as they are: nothing that could end a line or a head.
    if (CONTROL.test(reason)) this.fail('the status line is not valid HTTP (a control character)');

    const headers: string[] = [];
    let contentLength = -1;
    let transferEncoding: string | undefined;
    let connectionClose = http10;
    let keepAliveTimeoutMs: number | undefined;
    let pos = eol + 2;
    while (pos < text.length) {
      let lineEnd = text.indexOf('\r\n', pos);
      if (lineEnd === -1) lineEnd = text.length;
      const first = text.charCodeAt(pos);
      if (first === 0x20 || first === 0x09) this.fail('folded header lines are not allowed');
      const colon = text.indexOf(':', pos);
      if (colon <= pos || colon > lineEnd) this.fail('a header line has no name');
      const last = text.charCodeAt(colon - 1);
      if (last === 0x20 || last === 0x09) this.fail('whitespace before a header colon');
      const name = text.slice(pos, colon);
      if (!TOKEN.test(name)) this.fail(`header name "${name.slice(0, 40)}" is not valid HTTP`);
      const value = trimOws(text, colon + 1, lineEnd);
      if (CONTROL.test(value))
        this.fail(`the value of header ${name} is not valid HTTP (a control character)`);
      headers.push(name, value);
      switch (name.length) {
        case 10: {
          const lower = name.toLowerCase();
          if (lower === 'connection') {
            const v = value.toLowerCase();
            if (hasToken(v, 'close')) connectionClose = true;
            else if (http10 && hasToken(v, 'keep-alive')) connectionClose = false;
          } else if (lower === 'keep-alive') {
            keepAliveTimeoutMs = keepAliveTimeout(value);
          }
          break;
        }
        case 14:
          if (name.toLowerCase() === 'content-length') {
            const n = parseContentLength(value);
            if (n < 0 || (contentLength !== -1 && n !== contentLength)) this.fail('invalid Content-Length');
            contentLength = n;
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          }
          break;
      }
      pos = lineEnd + 2;
    }

    // 1xx: an interim response (100 Continue, 103 Early Hints); the real one follows.
    if (status < 200) {
      if (status === 101) {
        if (!this.upgrade) this.fail('the machine switched protocols on a plain request');
        this.state = STOPPED;
        this.sink.onHead({ status, reason, headers, keepAlive: false, keepAliveTimeoutMs, chunked: false });
        return;
      }
      this.state = HEAD;
      return;
    }

    let keepAlive = !connectionClose;
    let chunked = false;
    if (this.noBody || status === 204 || status === 304) {
      this.state = DONE;
    } else if (transferEncoding !== undefined) {
      // The final coding decides: chunked, or the body runs until the machine closes.
      const codings = transferEncoding.toLowerCase();
      chunked = /(?:^|,)\s*chunked\s*$/.test(codings);
      // With both headers the length is not to be trusted, nor the connection after it.
      if (contentLength !== -1) keepAlive = false;
      if (chunked) {
        this.state = CHUNK_SIZE;
        this.remaining = 0;
        this.chunkDigits = 0;
      } else {
        this.state = BODY_UNTIL_CLOSE;
        keepAlive = false;
      }
    } else if (contentLength !== -1) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? DONE : BODY_LENGTH;
    } else {
      this.state = BODY_UNTIL_CLOSE;
      keepAlive = false;
    }

    this.sink.onHead({ status, reason, headers, keepAlive, keepAliveTimeoutMs, chunked });
    if (this.state === DONE) this.sink.onEnd();
  }

  // Chunk sizes, the CRLF after each chunk and trailers, byte by byte (they are short).
  private readChunkFraming(data: Buffer, offset: number): number {
    while (offset < data.length) {
      const c = data[offset]!;
      switch (this.state) {
        case CHUNK_SIZE: {
          const digit = hexValue(c);
          if (digit !== -1) {
            if (++this.chunkDigits > 12) this.fail('chunk size too large');
            this.remaining = this.remaining * 16 + digit;
          } else if (this.chunkDigits === 0) {
            this.fail('bad chunk size');
          } else if (c === CR) {
            this.state = CHUNK_SIZE_LF;
          } else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            this.state = CHUNK_EXT;
          } else {
            this.fail('bad chunk size');
          }
          break;
        }
        case CHUNK_EXT:
          if (c === CR) this.state = CHUNK_SIZE_LF;
          else if (c === LF) this.fail('bad chunk extension');
          break;
        case CHUNK_SIZE_LF:
          if (c !== LF) this.fail('bad chunk size line');
          this.chunkDigits = 0;
          if (this.remaining === 0) {
            this.state = TRAILER_LINE_START;
            this.trailerBytes = 0;
          } else {
            this.state = CHUNK_DATA;
          }
          return offset + 1;
        case CHUNK_DATA_CR:
          if (c !== CR) this.fail('chunk data longer than its size');
          this.state = CHUNK_DATA_LF;
          break;
        case CHUNK_DATA_LF:
          if (c !== LF) this.fail('chunk data longer than its size');
          this.state = CHUNK_SIZE;
          this.remaining = 0;
          break;
        case TRAILER_LINE_START:
          // Trailers are read and dropped: node has re-framed the body for the client.
          this.state = c === CR ? TRAILER_END_LF : TRAILER_LINE;
          break;
        case TRAILER_LINE:
          if (++this.trailerBytes > MAX_TRAILER_BYTES) this.fail('trailers larger than 16 KiB');
          if (c === LF) this.state = TRAILER_LINE_START;
          break;
        case TRAILER_END_LF:
          if (c !== LF) this.fail('bad end of chunked body');
          this.state = DONE;
          this.sink.onEnd();
          return offset + 1;
        default:
          return offset;
      }
      offset++;
    }
    return offset;
  }

  private fail(message: string): never {
    this.state = STOPPED;
    this.partial = undefined;
    throw new ResponseParseError(message);
  }
}

/** Whether an LF at or after `from` is not preceded by CR. */
function hasBareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(LF, from); i !== -1; i = buf.indexOf(LF, i + 1)) {
    if (i === 0 || buf[i - 1] !== CR) return true;
  }
  return false;
}

function threeDigits(text: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 3; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function trimOws(text: string, from: number, to: number): string {
  while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) from++;
  while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) to--;
  return text.slice(from, to);
}

/** Digits only; `5, 5` (a repeated list) counts once. -1 when invalid. */
function parseContentLength(value: string): number {
  // Fast path: plain digits.
  if (value.length > 0 && value.length <= 15) {
    let n = 0;
    let i = 0;
    for (; i < value.length; i++) {
      const d = value.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === value.length) return n;
  }
  let result = -1;
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!/^\d{1,15}$/.test(v)) return -1;
    const n = Number(v);
    if (result !== -1 && n !== result) return -1;
    result = n;
  }
  return result;
}

function hasToken(lowerList: string, token: string): boolean {
  if (lowerList === token) return true;
  if (lowerList.indexOf(token) === -1) return false;
  for (const part of lowerList.split(',')) if (part.trim() === token) return true;
  return false;
}

// Machines send the same Keep-Alive value every time: remember the last one parsed.
let lastKeepAlive = '';
let lastKeepAliveMs: number | undefined;
function keepAliveTimeout(value: string): number | undefined {
  if (value !== lastKeepAlive) {
    const m = /(?:^|[,\s])timeout=(\d+)/i.exec(value);
    lastKeepAlive = value;
    lastKeepAliveMs = m ? Number(m[1]) * 1000 : undefined;
  }
  return lastKeepAliveMs;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
