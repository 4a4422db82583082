// berth's proxy with node's http client (http.request on a keep-alive Agent) for its machine
// side instead of its own pool and response parser: a column of the proxy benchmark, so what
// the hand-written upstream client saves stays measured. Routing, balancing, in-flight counts
// and the header rewriting are the proxy's own; only the connection to the machine differs.
// The request head the proxy wrote is split back into a header list here (a few µs, against
// the tens node's client adds).
import http from 'node:http';
import type { ResponseHead } from '../../src/proxy/response-parser.js';
import type {
  PoolStats,
  Upstream,
  UpstreamConnection,
  UpstreamHandler,
  UpstreamLink,
} from '../../src/proxy/upstream-pool.js';

export class NodeHttpUpstream implements Upstream {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

  acquire(_address: string, host: string, port: number): UpstreamLink {
    return new NodeHttpLink(this.agent, host, port);
  }

  stats(): PoolStats[] {
    return [];
  }

  destroy(): void {
    this.agent.destroy();
  }
}

class NodeHttpLink implements UpstreamLink {
  private req: http.ClientRequest | undefined;
  private res: http.IncomingMessage | undefined;

  constructor(
    private readonly agent: http.Agent,
    private readonly host: string,
    private readonly port: number,
  ) {}

  send(handler: UpstreamHandler, head: string, _expectBody: boolean, requestDone: boolean): void {
    const lines = head.split('\r\n');
    const requestLine = lines[0]!;
    const sp1 = requestLine.indexOf(' ');
    const sp2 = requestLine.lastIndexOf(' ');
    const headers: string[] = [];
    for (let i = 1; i < lines.length && lines[i] !== ''; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      headers.push(line.slice(0, colon), line.slice(colon + 2));
    }
    let responded = false;
    let connected = false;
    const req = http.request({
      host: this.host,
      port: this.port,
      method: requestLine.slice(0, sp1),
      path: requestLine.slice(sp1 + 1, sp2),
      headers,
      setHost: false,
      agent: this.agent,
    });
    this.req = req;
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.on('response', (res) => {
      responded = true;
      this.res = res;
      const responseHead: ResponseHead = {
        status: res.statusCode ?? 502,
        reason: res.statusMessage ?? '',
        headers: [...res.rawHeaders],
        keepAlive: true,
        keepAliveTimeoutMs: undefined,
        chunked: res.headers['transfer-encoding'] !== undefined,
      };
      // The handler never uses the connection argument; the pool's type names its own class.
      handler.onResponseHead(responseHead, this as unknown as UpstreamConnection);
      res.on('data', (chunk: Buffer) => handler.onResponseBody(chunk, false));
      res.on('end', () => handler.onResponseEnd());
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      handler.onUpstreamFailure({ error, reused: req.reusedSocket, responded, connected }),
    );
    req.on('drain', () => handler.onUpstreamDrain());
    if (requestDone) req.end();
  }

  write(chunk: Buffer): boolean {
    return this.req!.write(chunk);
  }

  // node's client chunks the body itself when the head says `transfer-encoding: chunked`.
  writeChunk(chunk: Buffer): boolean {
    return this.req!.write(chunk);
  }

  endRequest(): void {
    this.req!.end();
  }

  destroy(): void {
    this.req?.destroy();
  }

  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }
}
