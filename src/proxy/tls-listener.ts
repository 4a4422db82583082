// The proxy's TLS listener (`berth server --proxy-tls HOST:PORT`): terminates TLS with the
// certificate the client's SNI names, then serves requests exactly as the plain listener does
// (the edge proxy's own handler, attached with scheme "https").
import https from 'node:https';
import type tls from 'node:tls';
import type { EdgeProxy } from './edge-proxy.js';
import { listenOn } from './listen.js';

/** The certificate to present for a server name, or undefined to refuse the handshake. */
export type SecureContextLookup = (servername: string) => Promise<tls.SecureContext | undefined>;

export class TlsListener {
  private readonly server: https.Server;

  constructor(
    private readonly proxy: EdgeProxy,
    lookup: SecureContextLookup,
    private readonly closeGraceMs = 5_000,
  ) {
    this.server = https.createServer({
      SNICallback: (servername, done) => {
        lookup(servername.toLowerCase()).then(
          (context) =>
            context
              ? done(null, context)
              : done(new Error(`berth serves no hostname "${servername}" over TLS`)),
          (err: Error) => done(err),
        );
      },
      // Same limits as the plain listener.
      keepAliveTimeout: 60_000,
      headersTimeout: 30_000,
      requestTimeout: 0,
      noDelay: true,
    });
    // A client without SNI, or naming a host berth does not serve, fails its handshake; that
    // is the client's problem, not an error of the listener.
    this.server.on('tlsClientError', () => undefined);
    proxy.attach(this.server, { scheme: 'https' });
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const address = await listenOn(this.server, host, port);
    this.proxy.tlsPort = address.port;
    return address;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.proxy.tlsPort = undefined;
      const grace = setTimeout(() => this.server.closeAllConnections(), this.closeGraceMs);
      grace.unref();
      this.server.close(() => {
        clearTimeout(grace);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }
}
