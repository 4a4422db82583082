// Requests the API refuses before its router sees them: what node's HTTP parser cannot parse
// (a method it does not know, a head over the size limit, a malformed request line), CONNECT, and
// Expect headers it does not meet. Node answers these with a bare 400 or 431, or resets the
// connection; berth answers each with the same coded JSON error as every other refusal, then
// closes the connection, as the parser cannot find where the next request would start.
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { BerthError, toErrorBody } from '../core/errors.js';
import { API_METHODS, methodNotAllowed } from './router.js';

/** The request line and headers together; node's default, set explicitly. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The longest request target the API reads; its paths and queries are a few dozen bytes. */
export const MAX_URL_BYTES = 8 * 1024;

interface ParserError extends Error {
  code?: string;
  reason?: string;
  rawPacket?: Buffer;
}

/** Installs the refusals on the API's server. */
export function refuseUnparsedRequests(server: Server): void {
  server.on('clientError', (err: ParserError, socket: Duplex) => {
    // Nothing to answer: the client went away, or a response is already under way on this socket.
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    writeAndClose(socket, parserRefusal(err));
  });
  // Without a listener node drops CONNECT requests by resetting the connection.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    writeAndClose(socket, methodNotAllowed('CONNECT', API_METHODS));
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expect = (req.headers.expect ?? '').slice(0, 64);
    const error = new BerthError('expectation_failed', `the API cannot meet "Expect: ${expect}"`);
    const text = JSON.stringify(toErrorBody(error));
    res.writeHead(error.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      connection: 'close',
    });
    res.end(text);
  });
}

/** The coded error for what the parser refused. */
export function parserRefusal(err: ParserError): BerthError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      if (requestLineTooLong(err.rawPacket)) {
        return new BerthError('uri_too_long', `the request URL is longer than ${MAX_URL_BYTES} bytes`);
      }
      return new BerthError(
        'headers_too_large',
        `the request line and headers are larger than ${MAX_HEADER_BYTES} bytes`,
      );
    case 'HPE_INVALID_METHOD':
      return methodNotAllowed(method(err), API_METHODS);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new BerthError('request_timeout', 'the request was not received in time');
    default:
      return new BerthError(
        'malformed_request',
        `the request is not valid HTTP/1.1: ${err.reason ?? 'it does not parse'} (${err.code ?? 'unknown'})`,
      );
  }
}

/**
 * Whether the head that overflowed is one long request line: the packet starts a request and
 * has no line end within the URL limit. The parser reports only "too large", not which part.
 */
function requestLineTooLong(packet: Buffer | undefined): boolean {
  if (!packet || !/^[A-Z-]+ /.test(packet.subarray(0, 24).toString('latin1'))) return false;
  const end = packet.indexOf('\r\n');
  return end < 0 || end > MAX_URL_BYTES;
}

/** The method the client sent, when it looks like one; never raw bytes from the wire. */
function method(err: ParserError): string {
  const first = /^([A-Za-z_-]{1,32}) /.exec(err.rawPacket?.subarray(0, 40).toString('latin1') ?? '')?.[1];
  return first ? `"${first}"` : 'The method sent';
}

/** Answers a refusal on a bare socket (no response object: a parser error, CONNECT, an upgrade). */
export function writeAndClose(socket: Duplex, error: BerthError): void {
  const text = JSON.stringify(toErrorBody(error));
  const allow = error.code === 'method_not_allowed' ? (error.details as { allow: string[] }).allow : [];
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    ...(allow.length > 0 ? [`allow: ${allow.join(', ')}`] : []),
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}

/** The request's target as a URL; one over MAX_URL_BYTES or that does not parse is refused. */
export function requestUrl(target: string): URL {
  if (Buffer.byteLength(target) > MAX_URL_BYTES) {
    throw new BerthError('uri_too_long', `the request URL is longer than ${MAX_URL_BYTES} bytes`);
  }
  try {
    return new URL(target, 'http://berth');
  } catch {
    throw new BerthError('malformed_url', 'the request URL does not parse');
  }
}
