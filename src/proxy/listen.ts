// Opens a listener and reports the address it got (port 0 picks a free one); a bind error
// such as EADDRINUSE rejects instead of being thrown later as an 'error' event.
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
