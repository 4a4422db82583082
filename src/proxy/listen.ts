// Opens a listener and reports the address it got (port 0 picks a free one); a bind error
// such as EADDRINUSE rejects instead of being thrown later as an 'error' event.
import type * as http from 'node:http';
import type * as net from 'node:net';

export function listenOn(
  server: net.Server,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address() as net.AddressInfo;
      resolve({ host: addr.address, port: addr.port });
    });
  });
}

/**
 * Closes a node:http(s) server gracefully: idle connections at once, busy ones after their
 * response, and whatever is still open once graceMs has passed.
 */
export function closeHttpServer(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const grace = setTimeout(() => server.closeAllConnections(), graceMs);
    grace.unref();
    server.close(() => {
      clearTimeout(grace);
      resolve();
    });
    server.closeIdleConnections();
  });
}
