// Table-driven: the config and flags that set the proxy's limits. `[http_service.concurrency]`
// and `[[services]].concurrency` as fly.toml writes them, which machine group they apply to,
// the trusted-proxies list, and `berth server`'s proxy flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { loadConfigText } from '../../src/config/load.js';
import { concurrencyForGroup } from '../../src/core/config/concurrency.js';
import { parseCidrList } from '../../src/core/net/cidr.js';
import { BerthError } from '../../src/core/errors.js';
import { addProxyLimitOptions, proxyLimitsFromOptions } from '../../src/cli/proxy-limit-flags.js';
import { DEFAULT_PROXY_LIMITS, sweepIntervalMs } from '../../src/proxy/limits.js';

const lines = (...l: string[]) => l.join('\n');

test('concurrency from [http_service] and [[services]] reaches the group that serves HTTP', () => {
  const cases: { name: string; toml: string; group: string; want: unknown; warning?: RegExp }[] = [
    {
      name: 'http_service, requests',
      toml: lines(
        '[http_service]',
        '[http_service.concurrency]',
        'type = "requests"',
        'soft_limit = 20',
        'hard_limit = 25',
      ),
      group: 'app',
      want: { type: 'requests', softLimit: 20, hardLimit: 25 },
    },
    {
      name: 'type defaults to connections, as on fly',
      toml: lines('[http_service.concurrency]', 'hard_limit = 5'),
      group: 'app',
      want: { type: 'connections', hardLimit: 5 },
    },
    {
      name: 'http_service covering another group only',
      toml: lines(
        '[processes]',
        'web = "a"',
        'worker = "b"',
        '[http_service]',
        'processes = ["web"]',
        '[http_service.concurrency]',
        'hard_limit = 5',
      ),
      group: 'worker',
      want: undefined,
    },
    {
      name: '[[services]] with an http handler',
      toml: lines(
        '[[services]]',
        'internal_port = 8080',
        '[[services.ports]]',
        'port = 80',
        'handlers = ["http"]',
        '[services.concurrency]',
        "type = 'connections'",
        'hard_limit = 250',
        'soft_limit = 200',
      ),
      group: 'app',
      want: { type: 'connections', softLimit: 200, hardLimit: 250 },
    },
    {
      name: 'soft_limit above hard_limit warns and is capped',
      toml: lines('[http_service.concurrency]', 'soft_limit = 30', 'hard_limit = 25'),
      group: 'app',
      want: { type: 'connections', softLimit: 25, hardLimit: 25 },
      warning: /soft_limit \(30\) is above hard_limit \(25\)/,
    },
  ];
  for (const c of cases) {
    const loaded = loadConfigText(c.toml, 'fly.toml');
    assert.ok(loaded.config, `${c.name}: ${JSON.stringify(loaded.diagnostics)}`);
    assert.deepEqual(concurrencyForGroup(loaded.config, c.group), c.want, c.name);
    if (c.warning) {
      assert.ok(
        loaded.diagnostics.some((d) => d.severity === 'warning' && c.warning!.test(d.message)),
        c.name,
      );
    }
  }
});

test('bad concurrency values are errors naming the key', () => {
  const cases: [string, string, RegExp][] = [
    ['hard_limit = 0', 'http_service.concurrency.hard_limit', /at least 1|>= 1|positive/],
    ['type = "bytes"', 'http_service.concurrency.type', /"connections" or "requests"/],
    ['hard_limit = "many"', 'http_service.concurrency.hard_limit', /integer|number/],
  ];
  for (const [line, path, message] of cases) {
    const loaded = loadConfigText(lines('[http_service.concurrency]', line), 'fly.toml');
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errors.length, 1, line);
    assert.equal(errors[0]!.path, path, line);
    assert.match(errors[0]!.message, message, line);
  }
});

test('trusted-proxies lists: addresses and CIDR ranges, v4 and v6', () => {
  const ok: [string, unknown][] = [
    ['', []],
    ['10.0.0.0/8', [{ address: '10.0.0.0', prefix: 8, family: 4 }]],
    [
      '192.168.1.10, fd00::/8',
      [
        { address: '192.168.1.10', prefix: 32, family: 4 },
        { address: 'fd00::', prefix: 8, family: 6 },
      ],
    ],
    ['::1', [{ address: '::1', prefix: 128, family: 6 }]],
  ];
  for (const [text, want] of ok) assert.deepEqual(parseCidrList(text), { ok: true, cidrs: want }, text);
  const bad: [string, RegExp][] = [
    ['10.0.0.0/33', /prefix length outside 0-32/],
    ['fd00::/129', /prefix length outside 0-128/],
    ['10.0.0/8', /not an IP address/],
    ['example.com', /not an IP address/],
    ['10.0.0.0/x', /prefix length/],
  ];
  for (const [text, problem] of bad) {
    const r = parseCidrList(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.problem, problem, text);
  }
});

function parseFlags(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = addProxyLimitOptions(new Command('server').exitOverride(), env);
  command.parse(argv, { from: 'user' });
  return proxyLimitsFromOptions(command.opts());
}

test('berth server proxy flags and their variables set the limits; bad values are refused', () => {
  assert.deepEqual(parseFlags([]), {});
  assert.deepEqual(
    parseFlags([
      '--proxy-connect-timeout',
      '2s',
      '--proxy-response-header-timeout',
      '1m30s',
      '--proxy-queue-limit',
      '0',
      '--proxy-trusted-proxies',
      '10.0.0.0/8',
    ]),
    {
      connectTimeoutMs: 2000,
      responseHeaderTimeoutMs: 90_000,
      queueLimit: 0,
      trustedProxies: [{ address: '10.0.0.0', prefix: 8, family: 4 }],
    },
  );
  assert.deepEqual(
    parseFlags([], { BERTH_PROXY_REQUEST_BODY_TIMEOUT: '30', BERTH_PROXY_REQUEST_BODY_MIN_RATE: '0' }),
    { requestBodyTimeoutMs: 30_000, requestBodyMinRate: 0 },
  );
  // A flag wins over its variable.
  assert.deepEqual(parseFlags(['--proxy-queue-timeout', '5s'], { BERTH_PROXY_QUEUE_TIMEOUT: '1m' }), {
    queueTimeoutMs: 5000,
  });
  const bad: [string[], RegExp][] = [
    [['--proxy-connect-timeout', 'soon'], /--proxy-connect-timeout "soon" is not a duration/],
    [['--proxy-response-idle-timeout', '1ms'], /not a duration between 0.1s and 86400s/],
    [['--proxy-queue-limit', '-1'], /--proxy-queue-limit "-1" is not a whole number/],
    [
      ['--proxy-trusted-proxies', '10.0.0.0/40'],
      /--proxy-trusted-proxies: "10.0.0.0\/40" has a prefix length/,
    ],
  ];
  for (const [argv, message] of bad) {
    assert.throws(
      () => parseFlags(argv),
      (err: unknown) =>
        err instanceof BerthError && err.code === 'invalid_request' && message.test(err.message),
      argv.join(' '),
    );
  }
});

test('the deadline sweep runs a quarter of the shortest limit apart, between 10 ms and 1 s', () => {
  assert.equal(sweepIntervalMs(DEFAULT_PROXY_LIMITS), 1000);
  assert.equal(sweepIntervalMs({ ...DEFAULT_PROXY_LIMITS, responseHeaderTimeoutMs: 400 }), 100);
  assert.equal(sweepIntervalMs({ ...DEFAULT_PROXY_LIMITS, queueTimeoutMs: 1 }), 10);
});
