// Metrics and usage, end to end: a real daemon (and one with proxy workers), a real app, real
// requests through the proxy. GET /metrics is parsed by a strict Prometheus text parser and its
// counters checked against the requests sent; the metrics token reads it and nothing else;
// `berth metrics` and `berth status` show the figures; usage survives daemon restarts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppTrafficInfo, StatusInfo } from '../../src/sdk/types.js';
import { TestDaemon, eventually, httpRequest, type HttpResult } from '../helpers/daemon.js';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prometheus-text.js';

// GET /status/NNN answers NNN with a body of ?bytes=N bytes; POST /echo reads the body and
// answers its length.
const SERVER = `
import http from 'node:http';
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  let size = 0;
  req.on('data', (d) => (size += d.length));
  req.on('end', () => {
    if (url.pathname === '/echo') return res.end(String(size));
    const status = Number(url.pathname.split('/')[2] ?? 200);
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('x'.repeat(Number(url.searchParams.get('bytes') ?? 0)));
  });
});
server.listen(Number(process.env.PORT));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

let work: string;
let n = 0;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-metrics-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function writeApp(app: string): string {
  const dir = join(work, `a${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(dir, 'berth.toml'),
    [
      `app = "${app}"`,
      '[processes]',
      'app = "node server.js"',
      '[http_service]',
      'internal_port = 8080',
      '',
    ].join('\n'),
  );
  return dir;
}

function send(daemon: TestDaemon, app: string, path: string, body?: string): Promise<HttpResult> {
  const url = new URL(daemon.info.proxyUrl);
  return httpRequest(
    {
      host: url.hostname,
      port: Number(url.port),
      path,
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        host: `${app}.${daemon.info.domain}`,
        ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }),
      },
    },
    body,
  );
}

/** 5 × 200 with 100-byte bodies, 3 × 404, 2 × 503, one POST of 1000 bytes: 11 requests. */
async function sendMix(daemon: TestDaemon, app: string): Promise<void> {
  for (let i = 0; i < 5; i++) assert.equal((await send(daemon, app, '/status/200?bytes=100')).status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await send(daemon, app, '/status/404')).status, 404);
  for (let i = 0; i < 2; i++) assert.equal((await send(daemon, app, '/status/503')).status, 503);
  const echo = await send(daemon, app, '/echo', 'b'.repeat(1000));
  assert.equal(echo.status, 200);
  assert.equal(echo.body, '1000');
}

async function scrape(daemon: TestDaemon, token?: string | null): Promise<Map<string, Family>> {
  const res = await daemon.api('GET', '/metrics', token === undefined ? {} : { token });
  assert.equal(res.status, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(res.body);
}

function checkMix(metrics: Map<string, Family>, app: string): void {
  const v1 = { app, release: 'v1' };
  const requests = (code: string) => sampleValue(metrics, 'berth_http_requests_total', { ...v1, code });
  assert.equal(requests('2xx'), 6);
  assert.equal(requests('4xx'), 3);
  assert.equal(requests('5xx'), 2);
  assert.equal(requests('1xx'), 0);
  assert.equal(requests('aborted'), 0);
  assert.equal(sampleValue(metrics, 'berth_http_request_duration_seconds_count', v1), 11);
  assert.equal(sampleValue(metrics, 'berth_http_request_duration_seconds_bucket', { ...v1, le: '+Inf' }), 11);
  assert.ok(sampleValue(metrics, 'berth_http_request_duration_seconds_sum', v1)! > 0);
  assert.equal(sampleValue(metrics, 'berth_http_requests_in_flight', v1), 0);
  assert.equal(sampleValue(metrics, 'berth_http_request_body_bytes_total', v1), 1000);
  // 5 × 100 bytes and the echo's "1000".
  assert.equal(sampleValue(metrics, 'berth_http_response_body_bytes_total', v1), 504);
}

test('GET /metrics counts the requests sent through the proxy, per app and release', async () => {
  const daemon = await TestDaemon.start();
  try {
    await daemon.deploy(writeApp('meter'));
    const before = await scrape(daemon);
    // Nothing went through the proxy yet (health checks and deploys reach machines directly).
    assert.equal(sampleValue(before, 'berth_http_requests_total', { app: 'meter', code: '2xx' }) ?? 0, 0);
    await sendMix(daemon, 'meter');
    const metrics = await scrape(daemon);
    checkMix(metrics, 'meter');
    assert.equal(
      sampleValue(metrics, 'berth_machines', { app: 'meter', release: 'v1', state: 'started' }),
      1,
    );
    assert.equal(sampleValue(metrics, 'berth_machine_restarts_total', { app: 'meter', release: 'v1' }), 0);
    assert.equal(
      sampleValue(metrics, 'berth_deploys_total', {
        app: 'meter',
        release: 'v1',
        kind: 'deploy',
        outcome: 'succeeded',
      }),
      1,
    );
    assert.equal(
      sampleValue(metrics, 'berth_deploy_duration_seconds_count', {
        app: 'meter',
        kind: 'deploy',
        outcome: 'succeeded',
      }),
      1,
    );
    // Defined before anything feeds them, so dashboards can be built now.
    for (const family of ['berth_schedule_runs_total', 'berth_wakes_total', 'berth_wake_duration_seconds']) {
      assert.ok(metrics.has(family), family);
    }

    // A request for an app with no machine running is the proxy's own 503, release "none".
    const scaled = await daemon.cli(['scale', 'count', '0', '-a', 'meter']);
    assert.equal(scaled.code, 0, scaled.stderr + scaled.stdout);
    assert.equal((await send(daemon, 'meter', '/status/200')).status, 503);
    const after = await scrape(daemon);
    assert.equal(
      sampleValue(after, 'berth_http_requests_total', { app: 'meter', release: 'none', code: '5xx' }),
      1,
    );
    assert.equal(
      sampleValue(after, 'berth_http_requests_total', { app: 'meter', release: 'v1', code: '2xx' }),
      6,
    );

    // `berth metrics`: the figures over the last minutes.
    const traffic = await daemon.cliJson<AppTrafficInfo>(['metrics', '-a', 'meter']);
    assert.equal(traffic.total.requests, 12);
    assert.equal(traffic.total.errorRate, 3 / 12);
    const v1 = traffic.releases.find((r) => r.release === 1)!;
    assert.equal(v1.requests, 11);
    assert.ok(v1.p50Ms! > 0 && v1.p99Ms! >= v1.p50Ms!, JSON.stringify(v1));
    const text = await daemon.cli(['metrics', '-a', 'meter']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^meter, last \d+s: [\d.]+ req\/s, 25% errors, p50 [\d.]+ m?s, p99 [\d.]+ m?s \(12 requests\)/,
    );
    assert.match(text.stdout, /^v1\s+[\d.]+\s+18%\s+.*\s11\s+0$/m);
    assert.match(text.stdout, /^none\s+[\d.]+\s+100%\s+-\s+-\s+1\s+0$/m);
    const all = await daemon.cli(['metrics']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^meter\s+[\d.]+\s+25%\s+.*\s12\s+0$/m);
    const bad = await daemon.cli(['metrics', '-a', 'meter', '--minutes', '61']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--minutes "61" is not a whole number from 1 to 60/);
  } finally {
    await daemon.destroy();
  }
});

test('GET /metrics needs a token; the metrics token reads it and nothing else', async () => {
  const daemon = await TestDaemon.start();
  try {
    const none = await daemon.api('GET', '/metrics', { token: null });
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body).error.code, 'unauthorized');
    assert.equal((await daemon.api('GET', '/metrics', { token: 'berth_nope' })).status, 401);
    const file = join(daemon.home, 'metrics-token');
    const token = readFileSync(file, 'utf8').trim();
    assert.notEqual(token, daemon.token);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await scrape(daemon, token);
    for (const [method, path] of [
      ['GET', '/v1/apps'],
      ['POST', '/v1/apps'],
      ['GET', '/v1/health/nothing'],
    ] as const) {
      const res = await daemon.api(method, path, { token });
      if (res.status === 404) continue; // no such endpoint: refused before any token is read
      assert.equal(res.status, 403, `${method} ${path}: ${res.body}`);
      assert.match(JSON.parse(res.body).error.message, /the metrics token may only read GET \/metrics/);
    }
    // The same token after a restart; a lost file gets a new one, and the old one stops working.
    await daemon.terminate();
    await daemon.boot();
    assert.equal(readFileSync(file, 'utf8').trim(), token);
    rmSync(file);
    await daemon.terminate();
    await daemon.boot();
    const fresh = readFileSync(file, 'utf8').trim();
    assert.notEqual(fresh, token);
    assert.equal((await daemon.api('GET', '/metrics', { token })).status, 401);
    await scrape(daemon, fresh);
  } finally {
    await daemon.destroy();
  }
});

test('with proxy workers, their requests reach the counters too', async () => {
  const daemon = await TestDaemon.start({ BERTH_PROXY_WORKERS: '2' });
  try {
    await daemon.deploy(writeApp('spread'));
    await sendMix(daemon, 'spread');
    checkMix(await scrape(daemon), 'spread');
  } finally {
    await daemon.destroy();
  }
});

test('usage: machine-seconds grow, requests are counted, and both survive daemon restarts', async () => {
  const daemon = await TestDaemon.start();
  try {
    await daemon.deploy(writeApp('usage'));
    await sendMix(daemon, 'usage');
    const status = async () => (await daemon.cliJson<StatusInfo>(['status', '-a', 'usage'])).usage;
    const first = await status();
    assert.equal(first.total.requests, 11);
    assert.equal(first.total.scheduleRuns, 0);
    assert.deepEqual(
      first.releases.map((r) => r.release),
      [1],
    );
    const grown = await eventually(
      async () => {
        const u = await status();
        return u.total.machineSeconds > first.total.machineSeconds + 1 ? u : undefined;
      },
      15_000,
      'machine-seconds to grow',
    );

    // A graceful stop records the requests; the machine keeps running (and counting) meanwhile.
    await daemon.terminate();
    await daemon.boot();
    const restarted = await status();
    assert.equal(restarted.total.requests, 11);
    assert.ok(restarted.total.machineSeconds >= grown!.total.machineSeconds, JSON.stringify(restarted));

    // Killed: machine time comes from the database, so it is not lost either.
    daemon.kill9();
    await daemon.waitExit();
    await daemon.boot();
    const killed = await status();
    assert.ok(killed.total.machineSeconds >= restarted.total.machineSeconds, JSON.stringify(killed));

    const text = await daemon.cli(['status', '-a', 'usage']);
    assert.match(text.stdout, /^Usage {5}\d+s machine time, 11 requests, 0 schedule runs$/m);

    // A stopped machine stops counting.
    const scaled = await daemon.cli(['scale', 'count', '0', '-a', 'usage']);
    assert.equal(scaled.code, 0, scaled.stderr + scaled.stdout);
    const stopped = await status();
    const res = await daemon.api('GET', '/v1/apps/usage/usage');
    assert.equal(res.status, 200);
    assert.ok(JSON.parse(res.body).total.machineSeconds - stopped.total.machineSeconds < 0.5);
  } finally {
    await daemon.destroy();
  }
});
