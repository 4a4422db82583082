// Asks the kernel for a free TCP port by binding port 0 and reading what it picked. The port
// is released before the machine binds it, so another process could take it in between; the
// kernel hands out ephemeral ports in a spread-out order, which makes that rare enough here.
import { createServer } from 'node:net';

export function allocatePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close((err) => {
        if (err) reject(err);
        else if (port === undefined) reject(new Error(`could not read the port bound on ${host}`));
        else resolve(port);
      });
    });
  });
}
