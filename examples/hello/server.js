// A tiny HTTP server with no dependencies: the app `berth deploy examples/hello` runs.
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const release = process.env.BERTH_RELEASE_VERSION ?? 'dev';
const machine = process.env.BERTH_MACHINE_ID ?? 'local';

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const body = `hello from berth: release v${release}, machine ${machine}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

server.keepAliveTimeout = 65_000;
server.listen(port, () => console.log(`hello listening on :${port}`));

// Finish in-flight requests on a graceful stop.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
