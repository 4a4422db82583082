// The proxy's TLS listener (`berth server --proxy-tls HOST:PORT`): terminates TLS with the
// certificate the client's SNI names, then serves requests exactly as the plain listener does
// (with scheme "https"): on berth's own HTTP server fed by the TLS sockets, or, with the
// proxy's `httpServer: 'node'`, on node's https server.
import https from 'node:https';
import tls from 'node:tls';
import type { ClientListener } from './client-listener.js';
import type { EdgeProxy } from './edge-proxy.js';
import { closeHttpServer, listenOn } from './listen.js';

/** The certificate to present for a server name, or undefined to refuse the handshake. */
export type SecureContextLookup = (servername: string) => Promise<tls.SecureContext | undefined>;

export class TlsListener {
  private readonly server: tls.Server;
  /** Set when berth's own HTTP server reads the requests. */
  private readonly listener: ClientListener | undefined;

  constructor(
    private readonly proxy: EdgeProxy,
    lookup: SecureContextLookup,
    private readonly closeGraceMs = 5_000,
  ) {
    const options: tls.TlsOptions = {
      SNICallback: (servername, done) => {
        lookup(servername.toLowerCase()).then(
          (context) =>
            context
              ? done(null, context)
              : done(new Error(`berth serves no hostname "${servername}" over TLS`)),
          (err: Error) => done(err),
        );
      },
    };
    if (proxy.httpServer === 'berth') {
      this.server = tls.createServer(options);
      this.listener = proxy.serve(this.server, { scheme: 'https' }, 'secureConnection');
    } else {
      const server = https.createServer({
        ...options,
        // Same limits as the plain listener.
        keepAliveTimeout: 60_000,
        headersTimeout: 30_000,
        requestTimeout: 0,
        noDelay: true,
      });
      proxy.attach(server, { scheme: 'https' });
      this.server = server;
    }
    // A client without SNI, or naming a host berth does not serve, fails its handshake; that
    // is the client's problem, not an error of the listener.
    this.server.on('tlsClientError', () => undefined);
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const address = await listenOn(this.server, host, port);
    this.proxy.tlsPort = address.port;
    return address;
  }

  close(): Promise<void> {
    this.proxy.tlsPort = undefined;
    if (this.listener !== undefined) return this.proxy.closeListener(this.listener);
    return closeHttpServer(this.server as https.Server, this.closeGraceMs);
  }
}
