import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { httpPortForGroup, processGroups } from '../../src/core/config/routing.js';
import type { AppConfig } from '../../src/core/config/types.js';

function config(toml: string): AppConfig {
  const loaded = loadConfigText(toml, 'berth.toml');
  assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

const cases: { name: string; toml: string; ports: Record<string, number | undefined> }[] = [
  {
    name: 'no service: nothing serves HTTP',
    toml: '',
    ports: { app: undefined },
  },
  {
    name: 'http_service without processes serves every group',
    toml: '[http_service]\ninternal_port = 3000',
    ports: { app: 3000, web: 3000 },
  },
  {
    name: 'http_service with processes serves only those',
    toml: '[processes]\nweb = "w"\nworker = "k"\n[http_service]\ninternal_port = 3000\nprocesses = ["web"]',
    ports: { web: 3000, worker: undefined },
  },
  {
    name: 'http_service first, then [[services]] with an http handler',
    toml: [
      '[processes]',
      'app = "a"',
      'admin = "b"',
      'db = "c"',
      '[http_service]',
      'internal_port = 3000',
      'processes = ["app"]',
      '[[services]]',
      'internal_port = 5432',
      'processes = ["db"]',
      '[[services.ports]]',
      'port = 5432',
      'handlers = ["pg_tls"]',
      '[[services]]',
      'internal_port = 9000',
      'processes = ["admin", "app"]',
      '[[services.ports]]',
      'port = 443',
      'handlers = ["tls", "http"]',
    ].join('\n'),
    ports: { app: 3000, admin: 9000, db: undefined },
  },
  {
    name: 'old [[services]] without processes serve the app',
    toml: '[[services]]\ninternal_port = 8080\n[[services.ports]]\nport = 80\nhandlers = ["http"]',
    ports: { app: 8080 },
  },
  {
    name: 'a udp service never serves HTTP',
    toml: '[[services]]\ninternal_port = 8080\nprotocol = "udp"\n[[services.ports]]\nport = 80\nhandlers = ["http"]',
    ports: { app: undefined },
  },
];

for (const c of cases) {
  test(`httpPortForGroup: ${c.name}`, () => {
    const cfg = config(c.toml);
    for (const [group, port] of Object.entries(c.ports))
      assert.equal(httpPortForGroup(cfg, group), port, group);
  });
}

test('processGroups: [processes] first, else the fallback', () => {
  assert.deepEqual(processGroups(config('[processes]\nweb = "w"'), { app: 'npm start' }), { web: 'w' });
  assert.deepEqual(processGroups(config(''), { app: 'npm start' }), { app: 'npm start' });
});
