// The web process: answers HTTP on $PORT with what release and build it runs.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const build = JSON.parse(readFileSync('build-info.json', 'utf8'));

http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ process: 'web', release: process.env.BERTH_RELEASE_VERSION, builtAt: build.builtAt }),
    );
  })
  .listen(Number(process.env.PORT ?? 8080));
