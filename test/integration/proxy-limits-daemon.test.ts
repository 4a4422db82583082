// The proxy's limits as a deployed app gets them: `[http_service.concurrency] hard_limit` from
// fly.toml reaches the proxy (the machine never serves more at once), and the daemon-wide
// limits come from `berth server`'s environment variables.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await TestDaemon.start({
    BERTH_PROXY_RESPONSE_HEADER_TIMEOUT: '1s',
    BERTH_PROXY_QUEUE_TIMEOUT: '30s',
  });
  work = mkdtempSync(join(tmpdir(), 'berth-limits-'));
});
after(async () => {
  await daemon.destroy();
  rmSync(work, { recursive: true, force: true });
});

// /slow answers after 300 ms with the most requests it ever served at once; /never never does.
const SERVER = `
import http from 'node:http';
let inFlight = 0;
let most = 0;
http.createServer((req, res) => {
  if (req.url === '/never') return;
  inFlight++;
  most = Math.max(most, inFlight);
  setTimeout(() => {
    inFlight--;
    res.end('most=' + most + '\\n');
  }, req.url === '/slow' ? 300 : 0);
}).listen(Number(process.env.PORT));
`;

test('hard_limit from fly.toml caps a machine; the env-set header timeout answers 504', async () => {
  const dir = join(work, 'capped');
  mkdirSync(dir);
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(dir, 'fly.toml'),
    [
      'app = "capped"',
      '[processes]',
      'app = "node server.js"',
      '[http_service]',
      'internal_port = 8080',
      '[http_service.concurrency]',
      'type = "requests"',
      'soft_limit = 1',
      'hard_limit = 1',
      '',
    ].join('\n'),
  );
  const deployed = await daemon.cli(['deploy', dir]);
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);

  const replies = await Promise.all(Array.from({ length: 4 }, () => daemon.proxied('capped', '/slow')));
  for (const r of replies) {
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'most=1\n');
  }

  const never = await daemon.proxied('capped', '/never');
  assert.equal(never.status, 504);
  assert.match(never.body, /app "capped": machine \S+ at \S+ did not send response headers within 1s/);
});
