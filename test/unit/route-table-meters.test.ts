// The route table's counters per app and release: one array per release shared by its
// machines, an app's own array (release 0) for answers with no machine, in flight filled in
// from routed and draining machines, and counts kept when machines come and go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { M_IN_FLIGHT, M_STATUS } from '../../src/core/metrics/meter.js';
import { meterKey } from '../../src/core/metrics/ring.js';
import { RouteTable } from '../../src/proxy/route-table.js';

const backend = (machineId: string, releaseVersion: number, port: number) => ({
  machineId,
  address: `127.0.0.1:${port}`,
  releaseVersion,
});

test('machines of one release share its counters; the app has its own for machine-less answers', () => {
  const table = new RouteTable();
  table.setBackends('web', [backend('a', 1, 3001), backend('b', 1, 3002), backend('c', 2, 3003)]);
  const route = table.resolve('web.localhost')!;
  const [a, b, c] = route.backends;
  assert.equal(a!.meter, b!.meter);
  assert.notEqual(a!.meter, c!.meter);
  assert.notEqual(route.meter, a!.meter);
  a!.meter[M_STATUS + 1] = 5;
  c!.meter[M_STATUS + 4] = 2;
  route.meter[M_STATUS + 4] = 1;
  a!.inFlight = 2;
  b!.inFlight = 1;
  const readings = table.meterReadings();
  assert.deepEqual(
    [...readings.keys()].sort(),
    [meterKey('web', 0), meterKey('web', 1), meterKey('web', 2)].sort(),
  );
  assert.equal(readings.get(meterKey('web', 1))![M_STATUS + 1], 5);
  assert.equal(readings.get(meterKey('web', 1))![M_IN_FLIGHT], 3);
  assert.equal(readings.get(meterKey('web', 2))![M_STATUS + 4], 2);
  assert.equal(readings.get(meterKey('web', 0))![M_STATUS + 4], 1);
  // Readings are copies: the request path keeps counting into the table's own arrays.
  readings.get(meterKey('web', 1))![M_STATUS + 1] = 0;
  assert.equal(table.meterReadings().get(meterKey('web', 1))![M_STATUS + 1], 5);
});

test('a machine taken out of routing keeps counting in flight while it drains; its release keeps its counts', () => {
  const table = new RouteTable();
  table.setBackends('web', [backend('a', 1, 3001)]);
  const a = table.resolve('web.localhost')!.backends[0]!;
  a.inFlight = 1;
  a.meter[M_STATUS + 1] = 7;
  table.setBackends('web', [backend('n', 2, 3002)]);
  let readings = table.meterReadings();
  assert.equal(readings.get(meterKey('web', 1))![M_IN_FLIGHT], 1);
  assert.equal(readings.get(meterKey('web', 1))![M_STATUS + 1], 7);
  a.inFlight = 0;
  readings = table.meterReadings();
  assert.equal(readings.get(meterKey('web', 1))![M_IN_FLIGHT], 0);
  assert.equal(readings.get(meterKey('web', 1))![M_STATUS + 1], 7);
});

test('a machine moved to another release counts there from then on', () => {
  const table = new RouteTable();
  table.setBackends('web', [backend('a', 1, 3001)]);
  const before = table.resolve('web.localhost')!.backends[0]!;
  const v1 = before.meter;
  table.setBackends('web', [backend('a', 2, 3001)]);
  const after = table.resolve('web.localhost')!.backends[0]!;
  assert.equal(after, before);
  assert.notEqual(after.meter, v1);
  assert.equal(after.meterKey, meterKey('web', 2));
});
