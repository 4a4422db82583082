// A tiny HTTP server with no dependencies, built from its Dockerfile: the app
// `berth deploy --driver docker examples/docker-hello` runs. Like most Fly apps it listens on
// 8080 (fly.toml's internal_port) unless PORT says otherwise.
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const release = process.env.BERTH_RELEASE_VERSION ?? 'dev';
const machine = process.env.BERTH_MACHINE_ID ?? 'local';

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const body = `hello from a container: release v${release}, machine ${machine}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

server.keepAliveTimeout = 65_000;
server.listen(port, () => console.log(`docker-hello listening on :${port}`));

// Finish in-flight requests on a graceful stop (docker stop sends SIGTERM).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
