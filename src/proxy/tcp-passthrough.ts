// A TCP passthrough listener: every connection is piped, bytes untouched, to one of an app's
// machines. Which machines is asked at each connection, so a rollout's changes need no signal.
import net from 'node:net';
import { splitAddress } from './route-table.js';
import { listenOn } from './listen.js';

/** `host:port` of the machines that may take a new connection now. */
export type BackendLookup = () => string[];

export class TcpPassthroughListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cursor = 0;

  constructor(private lookup: BackendLookup) {
    // Half-open on both sides: a client that sends its request and then shuts down its write
    // side (FIN) still gets the whole answer, as it would talking to the machine directly.
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  /** Points new connections at other machines; open ones stay where they are. */
  retarget(lookup: BackendLookup): void {
    this.lookup = lookup;
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return listenOn(this.server, host, port);
  }

  /** Stops accepting and cuts open connections (a passthrough has no request to finish). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    const backends = this.lookup();
    // Rotate the start so connections spread over the machines.
    const start = backends.length === 0 ? 0 : this.cursor++ % backends.length;
    const order = [...backends.slice(start), ...backends.slice(0, start)];
    client.pause();
    this.connect(client, order);
  }

  // Try machines in turn until one accepts; a refused connect costs the client nothing.
  private connect(client: net.Socket, candidates: string[]): void {
    const next = candidates.shift();
    if (next === undefined || client.destroyed) {
      client.destroy();
      return;
    }
    const { host, port } = splitAddress(next);
    const upstream = net.connect({ host, port, noDelay: true, allowHalfOpen: true });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      // The client gave up while we were connecting.
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      this.track(upstream);
      // pipe() carries each side's FIN to the other; a socket closes once both sides ended.
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    upstream.on('error', () => {
      if (!connected) this.connect(client, candidates);
      else client.destroy();
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
