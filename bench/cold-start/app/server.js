// The app the cold-start benchmark wakes (bench/cold-start/run.ts). Plain node, no
// dependencies, so the app's own boot is as short as node allows and what is measured is berth.
//   /         200 "hello"          /healthz  200
/* global process, console */
import http from 'node:http';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(req.url === '/healthz' ? 'ok\n' : 'hello\n');
});
// The bench times a direct start up to this line: the app's own boot-to-listen.
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.log('listening'));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
