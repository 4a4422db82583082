import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/proxy/route-table.js';
import { SharedRouteTable, type RemoteCounts } from '../../src/proxy/workers/shared-route-table.js';

const b = (machineId: string, port: number): Backend => ({
  machineId,
  address: `127.0.0.1:${port}`,
  releaseVersion: 1,
});

/** What one worker last reported: the snapshot version it applied and its counts. */
function worker(applied: number, counts: Record<string, [number, number]>): RemoteCounts {
  return {
    inFlight: (id, unroutedAt) =>
      unroutedAt !== undefined && applied < unroutedAt ? 1 : (counts[id]?.[0] ?? 0),
    requests: (id) => counts[id]?.[1] ?? 0,
  };
}

test('every change makes a new snapshot version with the whole routing state', () => {
  const routes = new SharedRouteTable({ domain: 'localhost' });
  let changes = 0;
  routes.onChange = () => changes++;
  routes.setBackends('web', [b('m1', 3001)]);
  routes.addHostname('www.example.com', 'web');
  routes.setForceHttps('web', true);
  routes.setForceHttps('web', true); // no change
  routes.setBackends('api', []);
  assert.equal(changes, 4);
  assert.deepEqual(routes.snapshot(8443), {
    version: routes.version,
    domain: 'localhost',
    tlsPort: 8443,
    apps: [
      { app: 'web', backends: [b('m1', 3001)], forceHttps: true },
      { app: 'api', backends: [], forceHttps: false },
    ],
    hostnames: [['www.example.com', 'web']],
  });
  routes.removeApp('web');
  assert.deepEqual(routes.snapshot(undefined).hostnames, []);
  assert.deepEqual(
    routes.snapshot(undefined).apps.map((a) => a.app),
    ['api'],
  );
});

test('an unrouted machine counts as busy in a worker until that worker has applied the change', () => {
  const table = [
    { applied: 1, counts: {}, want: 1, why: 'the worker may still pick it' },
    { applied: 2, counts: { m1: [2, 10] }, want: 2, why: 'its requests in flight' },
    { applied: 2, counts: { m1: [0, 10] }, want: 0, why: 'applied and done' },
  ] as const;
  for (const row of table) {
    const routes = new SharedRouteTable({ domain: 'localhost' });
    routes.setBackends('web', [b('m1', 3001)]); // version 1
    routes.setBackends('web', [b('m2', 3002)]); // version 2 takes m1 out
    routes.remote = worker(row.applied, row.counts as Record<string, [number, number]>);
    assert.equal(routes.inFlight('m1'), row.want, row.why);
  }
});

test('a routed machine adds the workers’ counts to its own for the auto-stopper', () => {
  const routes = new SharedRouteTable({ domain: 'localhost' });
  routes.setBackends('web', [b('m1', 3001)]);
  routes.remote = worker(1, { m1: [3, 40] });
  const activity = routes.activity('m1');
  assert.equal(activity?.inFlight, 3);
  assert.equal(activity?.requests, 40);
  assert.equal(routes.activity('m9'), undefined);
});
