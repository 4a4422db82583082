// The app deploy.mjs deploys: it says which release and machine answered.
import http from 'node:http';

const release = process.env.BERTH_RELEASE_VERSION ?? 'dev';
const server = http.createServer((req, res) => {
  const body = req.url === '/healthz' ? 'ok\n' : `deployed from a script: release v${release}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 3000));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
