import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from '../../src/proxy/route-table.js';

const backend = (id: string, port: number) => ({
  machineId: id,
  address: `127.0.0.1:${port}`,
  releaseVersion: 1,
});

test('route table: hostnames, dedicated lookups and force_https per app', () => {
  const routes = new RouteTable({ domain: 'localhost' });
  routes.setBackends('web', [backend('m1', 4001)]);
  routes.setBackends('api', []);
  routes.addHostname('WWW.Example.Test', 'web');

  const cases: { host: string | undefined; app: string | undefined }[] = [
    { host: 'web.localhost', app: 'web' },
    { host: 'www.example.test:8443', app: 'web' },
    { host: 'WWW.EXAMPLE.TEST.', app: 'web' },
    { host: 'api.localhost', app: 'api' },
    { host: 'nope.example.test', app: undefined },
    { host: undefined, app: undefined },
  ];
  for (const c of cases) assert.equal(routes.resolve(c.host)?.app, c.app, String(c.host));

  assert.equal(routes.resolveApp('WEB')?.backends.length, 1);
  assert.equal(routes.resolveApp('ghost'), undefined);

  assert.equal(routes.resolve('web.localhost')?.forceHttps, false);
  routes.setForceHttps('web', true);
  assert.equal(routes.resolve('web.localhost')?.forceHttps, true);
  assert.equal(routes.resolve('www.example.test')?.forceHttps, true);
  assert.equal(routes.resolve('api.localhost')?.forceHttps, false);
  routes.setForceHttps('ghost', true); // unknown apps: nothing to set
  assert.equal(routes.resolveApp('ghost'), undefined);

  routes.removeHostname('www.example.test');
  assert.equal(routes.resolve('www.example.test'), undefined);
  routes.addHostname('shop.example.test', 'web');
  routes.removeApp('web');
  assert.equal(routes.resolve('shop.example.test'), undefined);
});
