// Table-driven: each case is a config text and the names of the checks each group must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { checksForGroup, hasHealthCheck } from '../../src/core/health/checks-for-group.js';
import type { AppConfig } from '../../src/core/config/types.js';

function config(toml: string): AppConfig {
  const loaded = loadConfigText(toml, 'berth.toml');
  assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

const lines = (...l: string[]) => l.join('\n');
const webAndWorker = lines('[processes]', 'web = "w"', 'worker = "k"');

const cases: { name: string; toml: string; checks: Record<string, string[]>; any: boolean }[] = [
  {
    name: 'no checks anywhere',
    toml: '[http_service]\ninternal_port = 3000',
    checks: { app: [] },
    any: false,
  },
  {
    name: 'http_service checks apply to the groups it serves',
    toml: lines(
      webAndWorker,
      '[http_service]',
      'internal_port = 3000',
      'processes = ["web"]',
      '[[http_service.checks]]',
      'path = "/healthz"',
    ),
    checks: { web: ['http_service.checks[0]'], worker: [] },
    any: true,
  },
  {
    name: 'service checks apply to the groups the service serves',
    toml: lines(
      webAndWorker,
      '[[services]]',
      'internal_port = 9000',
      'processes = ["worker"]',
      '[[services.tcp_checks]]',
      'interval = "5s"',
      '[[services.http_checks]]',
      'path = "/up"',
    ),
    checks: { web: [], worker: ['services[0].tcp_checks[0]', 'services[0].http_checks[0]'] },
    any: true,
  },
  {
    name: 'top-level check without port: the http_service port, so its groups',
    toml: lines(
      webAndWorker,
      '[http_service]',
      'internal_port = 3000',
      'processes = ["web"]',
      '[checks.alive]',
      'path = "/healthz"',
    ),
    checks: { web: ['alive'], worker: [] },
    any: true,
  },
  {
    name: 'top-level check on a service port: the groups of that service',
    toml: lines(
      webAndWorker,
      '[http_service]',
      'internal_port = 3000',
      'processes = ["web"]',
      '[[services]]',
      'internal_port = 9000',
      'processes = ["worker"]',
      '[checks.queue]',
      'port = 9000',
      'type = "tcp"',
    ),
    checks: { web: [], worker: ['queue'] },
    any: true,
  },
  {
    name: 'top-level check on a port no service has: the groups that serve HTTP',
    toml: lines(
      webAndWorker,
      '[http_service]',
      'internal_port = 3000',
      'processes = ["web"]',
      '[checks.metrics]',
      'port = 9091',
      'path = "/metrics"',
    ),
    checks: { web: ['metrics'], worker: [] },
    any: true,
  },
  {
    name: 'top-level check in an app that serves no HTTP: every group (a database)',
    toml: lines('[checks.pg]', 'port = 5500', 'type = "http"', 'path = "/flycheck/pg"'),
    checks: { app: ['pg'] },
    any: true,
  },
  {
    name: 'all three places, in order: http_service, services, [checks]',
    toml: lines(
      '[http_service]',
      'internal_port = 8080',
      '[[http_service.checks]]',
      'path = "/a"',
      '[[services]]',
      'internal_port = 8080',
      '[[services.ports]]',
      'port = 443',
      'handlers = ["tls", "http"]',
      '[[services.http_checks]]',
      'path = "/b"',
      '[checks.c]',
      'port = 8080',
      'path = "/c"',
    ),
    checks: { app: ['http_service.checks[0]', 'services[0].http_checks[0]', 'c'] },
    any: true,
  },
  {
    name: 'a service without processes serves every group',
    toml: lines(
      webAndWorker,
      '[[services]]',
      'internal_port = 26257',
      '[[services.tcp_checks]]',
      'interval = 10000',
    ),
    checks: { web: ['services[0].tcp_checks[0]'], worker: ['services[0].tcp_checks[0]'] },
    any: true,
  },
];

for (const c of cases) {
  test(`checks for group: ${c.name}`, () => {
    const loaded = config(c.toml);
    for (const [group, names] of Object.entries(c.checks)) {
      assert.deepEqual(
        checksForGroup(loaded, group).map((check) => check.name),
        names,
        `group ${group}`,
      );
    }
    assert.equal(hasHealthCheck(loaded), c.any);
  });
}
