// A listener served by berth's own HTTP/1.1 server: every connection a plain net.Server (or,
// for TLS, a tls.Server once the handshake is done) accepts becomes a ClientConnection. It
// keeps its connections in a list, for the proxy's sweep (header and keep-alive timeouts) and
// for closing: idle ones at once, busy ones after their response, all at the grace deadline.
import type net from 'node:net';
import type { ListenerContext } from './client-side.js';
import { ClientConnection, type ConnectionTimeouts, type RequestDispatcher } from './client-connection.js';
import { listenOn } from './listen.js';

export class ClientListener {
  private readonly connections = new Set<ClientConnection>();

  constructor(
    readonly server: net.Server,
    private readonly dispatcher: RequestDispatcher,
    private readonly context: ListenerContext,
    private readonly timeouts: ConnectionTimeouts,
    /** 'connection' for a net.Server, 'secureConnection' for a tls.Server. */
    event: 'connection' | 'secureConnection' = 'connection',
  ) {
    server.on(event, (socket: net.Socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    const conn = new ClientConnection(socket, this.dispatcher, this.context);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return listenOn(this.server, host, port);
  }

  /** Header and keep-alive deadlines of every connection (called by the proxy's sweep). */
  sweep(now: number): void {
    for (const conn of this.connections) conn.checkIdle(now, this.timeouts);
  }

  /** Stop accepting; idle connections close now, busy ones after their response, all by `graceMs`. */
  close(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const grace = setTimeout(() => {
        for (const conn of this.connections) conn.destroy();
      }, graceMs);
      grace.unref();
      this.server.close(() => {
        clearTimeout(grace);
        resolve();
      });
      for (const conn of this.connections) conn.closeWhenIdle();
    });
  }
}
