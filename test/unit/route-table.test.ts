import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHost, RouteTable, splitAddress, type Backend } from '../../src/proxy/route-table.js';

const b = (machineId: string, port: number, releaseVersion = 1): Backend => ({
  machineId,
  address: `127.0.0.1:${port}`,
  releaseVersion,
});

test('resolves <app>.<domain> with or without port, in any case', () => {
  const routes = new RouteTable({ domain: 'localhost' });
  routes.setBackends('hello', [b('m1', 3001)]);
  for (const host of ['hello.localhost', 'hello.localhost:8080', 'HeLLo.LocalHost:80', 'hello.localhost.']) {
    const r = routes.resolve(host);
    assert.equal(r?.app, 'hello', host);
    assert.deepEqual(
      r?.backends.map((x) => x.machineId),
      ['m1'],
    );
  }
});

test('unknown hosts resolve to nothing', () => {
  const routes = new RouteTable({ domain: 'localhost' });
  routes.setBackends('hello', [b('m1', 3001)]);
  for (const host of [
    undefined,
    '',
    'localhost',
    '.localhost',
    'other.localhost',
    'hello.example.com',
    'x.hello.localhost',
  ]) {
    assert.equal(routes.resolve(host), undefined, String(host));
  }
});

test('a known app without machines resolves with no backends', () => {
  const routes = new RouteTable();
  routes.setBackends('idle', []);
  assert.equal(routes.knownApp('idle'), true);
  assert.deepEqual(routes.resolve('idle.localhost')?.backends, []);
  assert.equal(routes.knownApp('other'), false);
});

test('an app added after its host was asked for is found (no stale miss)', () => {
  const routes = new RouteTable();
  assert.equal(routes.resolve('late.localhost:9'), undefined);
  routes.setBackends('late', [b('m1', 3001)]);
  assert.equal(routes.resolve('late.localhost:9')?.app, 'late');
});

test('removeApp forgets the app and its hostnames', () => {
  const routes = new RouteTable();
  routes.setBackends('gone', [b('m1', 3001)]);
  routes.addHostname('gone.example.com', 'gone');
  assert.equal(routes.resolve('gone.example.com')?.app, 'gone');
  routes.removeApp('gone');
  assert.equal(routes.knownApp('gone'), false);
  assert.equal(routes.resolve('gone.localhost'), undefined);
  assert.equal(routes.resolve('gone.example.com'), undefined);
  routes.removeApp('never-existed');
});

test('extra hostnames map to apps, any case and port; removable', () => {
  const routes = new RouteTable();
  routes.setBackends('shop', [b('m1', 3001)]);
  routes.addHostname('WWW.Example.com', 'shop');
  assert.equal(routes.resolve('www.example.com')?.app, 'shop');
  assert.equal(routes.resolve('www.EXAMPLE.com:8443')?.app, 'shop');
  routes.removeHostname('www.example.com:80');
  assert.equal(routes.resolve('www.example.com'), undefined);
});

test('a hostname pointing at an app that does not exist resolves to nothing', () => {
  const routes = new RouteTable();
  routes.addHostname('a.example.com', 'missing');
  assert.equal(routes.resolve('a.example.com'), undefined);
});

test('setDomain changes what <app>.<domain> means', () => {
  const routes = new RouteTable({ domain: 'localhost' });
  routes.setBackends('hello', [b('m1', 3001)]);
  assert.equal(routes.resolve('hello.localhost')?.app, 'hello');
  routes.setDomain('Apps.Example.com');
  assert.equal(routes.getDomain(), 'apps.example.com');
  assert.equal(routes.resolve('hello.localhost'), undefined);
  assert.equal(routes.resolve('hello.apps.example.com:8080')?.app, 'hello');
});

test('setBackends keeps the state object (and in-flight count) of machines that stay', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001), b('m2', 3002)]);
  const [m1, m2] = routes.resolve('app.localhost')!.backends;
  m1!.inFlight = 2;
  m2!.inFlight = 1;
  routes.setBackends('app', [b('m2', 3002, 2), b('m3', 3003, 2)]);
  const after = routes.resolve('app.localhost')!.backends;
  assert.equal(after[0], m2, 'same object for m2');
  assert.equal(after[0]!.inFlight, 1);
  assert.equal(after[0]!.releaseVersion, 2);
  assert.equal(after[1]!.machineId, 'm3');
  assert.equal(after[1]!.inFlight, 0);
});

test('a removed machine keeps reporting its in-flight count until it drains', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('old', 3001)]);
  const old = routes.resolve('app.localhost')!.backends[0]!;
  old.inFlight = 2;
  routes.setBackends('app', [b('new', 3002, 2)]);
  assert.equal(routes.inFlight('old'), 2);
  old.inFlight--; // the proxy finishing requests on the object it holds
  assert.equal(routes.inFlight('old'), 1);
  old.inFlight--;
  assert.equal(routes.inFlight('old'), 0);
  assert.equal(routes.inFlight('old'), 0);
  assert.equal(routes.inFlight('unknown'), 0);
  assert.equal(routes.inFlight('new'), 0);
});

test('a draining machine routed again gets its state (and count) back', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001)]);
  const m1 = routes.resolve('app.localhost')!.backends[0]!;
  m1.inFlight = 3;
  routes.setBackends('app', []);
  assert.equal(routes.inFlight('m1'), 3);
  routes.setBackends('app', [b('m1', 3001)]);
  assert.equal(routes.resolve('app.localhost')!.backends[0], m1);
  assert.equal(routes.inFlight('m1'), 3);
});

test('removeApp leaves in-flight counts readable for draining', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001)]);
  routes.resolve('app.localhost')!.backends[0]!.inFlight = 1;
  routes.removeApp('app');
  assert.equal(routes.inFlight('m1'), 1);
});

test('a resolved route sees later backend changes; a picked list is never mutated', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001)]);
  const route = routes.resolve('app.localhost')!;
  const picked = route.backends;
  routes.setBackends('app', [b('m2', 3002)]);
  assert.deepEqual(
    picked.map((x) => x.machineId),
    ['m1'],
  );
  assert.deepEqual(
    route.backends.map((x) => x.machineId),
    ['m2'],
  );
});

test('duplicate machine ids in one update count once', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001), b('m1', 3001)]);
  assert.equal(routes.resolve('app.localhost')!.backends.length, 1);
});

test('a bad address is rejected and leaves the table as it was', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001)]);
  assert.throws(() =>
    routes.setBackends('app', [b('m2', 3002), { machineId: 'm3', address: 'nope', releaseVersion: 1 }]),
  );
  assert.deepEqual(
    routes.resolve('app.localhost')!.backends.map((x) => x.machineId),
    ['m1'],
  );
});

test('the host cache stays bounded and correct under many distinct hosts', () => {
  const routes = new RouteTable();
  routes.setBackends('app', [b('m1', 3001)]);
  for (let i = 0; i < 5000; i++) assert.equal(routes.resolve(`x${i}.localhost`), undefined);
  assert.equal(routes.resolve('app.localhost:1')?.app, 'app');
});

test('splitAddress and normalizeHost', () => {
  assert.deepEqual(splitAddress('127.0.0.1:3000'), { host: '127.0.0.1', port: 3000 });
  assert.deepEqual(splitAddress('[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(splitAddress('machine-1.internal:80'), { host: 'machine-1.internal', port: 80 });
  for (const bad of ['127.0.0.1', ':80', 'host:0', 'host:70000', 'host:x']) {
    assert.throws(() => splitAddress(bad), /host:port/, bad);
  }
  assert.equal(normalizeHost('Hello.LOCALHOST.:8080'), 'hello.localhost');
  assert.equal(normalizeHost('[::1]:8080'), '[::1]');
  assert.equal(normalizeHost(' a.b '), 'a.b');
});
