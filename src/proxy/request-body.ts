// Decodes a chunked request body (RFC 9112 §7.1) as it arrives, handing on the chunks' data
// without copying. Strict like the head parser (and llhttp): hex sizes of at most 12 digits,
// extensions right after the size's `;` (no whitespace before it), CRLF everywhere (a bare LF or CR is refused),
// chunk data exactly as long as its size, trailer lines that are header lines. Trailers are
// read and dropped: the proxy frames the body again for the machine.
import { RequestParseError } from './request-parser.js';

const SIZE = 0; // hex digits
const EXT = 2; // `;…` up to CR
const SIZE_LF = 3;
const DATA = 4;
const DATA_CR = 5;
const DATA_LF = 6;
const TRAILER_START = 7; // start of a trailer line, or the CR of the final empty line
const TRAILER = 8;
const TRAILER_LF = 9;
const END_LF = 10;
const DONE = 11;

const CR = 13;
const LF = 10;

/** Bytes of chunk extensions on one size line, and of all trailer lines. */
const MAX_EXTENSION_BYTES = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

export class ChunkedBodyDecoder {
  private state = SIZE;
  private remaining = 0;
  private digits = 0;
  private extBytes = 0;
  private trailerBytes = 0;
  /** The current trailer line, to check that it is a header line. */
  private trailer = '';

  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Decodes from `data[offset]` on: each piece of chunk data goes to `onData` (which may
   * return false to stop after it). Returns where it stopped: at the end of the body (done),
   * the end of `data`, or after a piece `onData` said stop at. Throws RequestParseError.
   */
  decode(data: Buffer, offset: number, onData: (chunk: Buffer) => boolean): number {
    while (offset < data.length) {
      if (this.state === DATA) {
        const take = Math.min(this.remaining, data.length - offset);
        this.remaining -= take;
        const chunk = data.subarray(offset, offset + take);
        offset += take;
        if (this.remaining === 0) this.state = DATA_CR;
        if (!onData(chunk)) return offset;
        continue;
      }
      if (this.state === DONE) return offset;
      offset = this.framing(data, offset);
    }
    return offset;
  }

  // Sizes, line ends and trailers, byte by byte (they are short). Returns at DATA or DONE.
  private framing(data: Buffer, offset: number): number {
    for (; offset < data.length; offset++) {
      const c = data[offset]!;
      switch (this.state) {
        case SIZE: {
          const digit = hexValue(c);
          if (digit !== -1) {
            if (++this.digits > 12) fail('a chunk size is longer than 12 hex digits');
            this.remaining = this.remaining * 16 + digit;
          } else if (this.digits === 0) {
            fail('a chunk size is not a hex number');
          } else if (c === CR) {
            this.state = SIZE_LF;
          } else if (c === 0x3b /* ; */) {
            this.state = EXT;
            this.extBytes = 0;
          } else {
            fail('a chunk size is not a hex number');
          }
          break;
        }
        case EXT:
          if (c === CR) this.state = SIZE_LF;
          else if (isControl(c)) fail('a chunk extension holds a control character or a bare LF');
          else if (++this.extBytes > MAX_EXTENSION_BYTES) fail('chunk extensions longer than 4 KiB');
          break;
        case SIZE_LF:
          if (c !== LF) fail('a chunk size line does not end in CRLF');
          this.digits = 0;
          if (this.remaining === 0) {
            this.state = TRAILER_START;
          } else {
            this.state = DATA;
            return offset + 1;
          }
          break;
        case DATA_CR:
          if (c !== CR) fail('chunk data is longer than its size');
          this.state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== LF) fail('chunk data does not end in CRLF');
          this.state = SIZE;
          this.remaining = 0;
          break;
        case TRAILER_START:
          if (c === CR) {
            this.state = END_LF;
            break;
          }
          this.state = TRAILER;
          this.trailer = '';
          this.trailerByte(c);
          break;
        case TRAILER:
          this.trailerByte(c);
          break;
        case TRAILER_LF: {
          if (c !== LF) fail('a trailer line does not end in CRLF');
          const colon = this.trailer.indexOf(':');
          if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(this.trailer.slice(0, colon))) {
            fail('a trailer line is not "name: value"');
          }
          this.state = TRAILER_START;
          break;
        }
        case END_LF:
          if (c !== LF) fail('the chunked body does not end in CRLF');
          this.state = DONE;
          return offset + 1;
        default:
          return offset;
      }
    }
    return offset;
  }

  private trailerByte(c: number): void {
    if (++this.trailerBytes > MAX_TRAILER_BYTES) fail('trailers longer than 16 KiB');
    if (c === CR) {
      this.state = TRAILER_LF;
    } else if (isControl(c)) {
      fail('a trailer holds a control character or a bare LF');
    } else if (this.trailer.length < 256) {
      // The name is all we check; it is short.
      this.trailer += String.fromCharCode(c);
    }
  }
}

function fail(message: string): never {
  throw new RequestParseError(400, message);
}

function isControl(c: number): boolean {
  return (c < 0x20 && c !== 0x09) || c === 0x7f;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
