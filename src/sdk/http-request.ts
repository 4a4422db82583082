// One HTTP request through node:http (https loaded only for an https URL), answering with the
// few parts of a fetch Response the client reads. Not global fetch: loading undici costs a CLI
// command tens of milliseconds, and compiling its WebAssembly parser holds the process for
// 100-300 ms more after the answer has been printed (see bench/cli).
import http, { type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export interface HttpResponse {
  status: number;
  statusText: string;
  ok: boolean;
  /** The body as it arrives, chunk by chunk. */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface HttpRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string | Readable;
  signal?: AbortSignal;
}

/**
 * Sends the request; resolves when the response head arrives. A failure to connect rejects
 * with an Error whose `cause` is node's error (its `code`, such as ECONNREFUSED), as fetch's does.
 */
export async function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? (await import('node:https')).default : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      { method: options.method, headers: options.headers, signal: options.signal },
      (res) => resolve(response(res, options.method)),
    );
    req.on('error', (err: Error) => {
      if (err.name === 'AbortError') reject(err);
      else reject(new Error(`request to ${target.origin} failed`, { cause: err }));
    });
    if (typeof options.body === 'object') options.body.pipe(req);
    else req.end(options.body);
  });
}

function response(res: IncomingMessage, method: string): HttpResponse {
  const status = res.statusCode ?? 0;
  // No body will be read: drain the empty one, or its socket keeps the process alive.
  if (method === 'HEAD' || status === 204 || status === 304) res.resume();
  const text = async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    body: res,
    text,
    json: async () => JSON.parse(await text()) as unknown,
  };
}
