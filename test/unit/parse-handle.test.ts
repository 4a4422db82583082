import { test } from 'node:test';
import assert from 'node:assert/strict';
import { primaryAddress, type MachineHandle } from '../../src/drivers/driver.js';
import { parseHandle } from '../../src/drivers/parse-handle.js';

const logPath = '/home/berth/machines/m1/machine.log';

test('parseHandle: stored handles of each driver, old ones converted, anything else refused', () => {
  const cases: { name: string; json: string | null; expect: MachineHandle | null }[] = [
    { name: 'no handle yet', json: null, expect: null },
    { name: 'not JSON', json: '{', expect: null },
    {
      name: 'a process handle',
      json: JSON.stringify({
        driver: 'process',
        pid: 4242,
        startTime: '99',
        logPath,
        addresses: { '8080': '127.0.0.1:41000' },
      }),
      expect: {
        driver: 'process',
        pid: 4242,
        startTime: '99',
        logPath,
        addresses: { '8080': '127.0.0.1:41000' },
      },
    },
    {
      name: 'a handle from before drivers were typed: the pid as ref, one address',
      json: JSON.stringify({
        driver: 'process',
        ref: '4242',
        startTime: '99',
        address: '127.0.0.1:41000',
        logPath,
      }),
      expect: {
        driver: 'process',
        pid: 4242,
        startTime: '99',
        logPath,
        addresses: { '41000': '127.0.0.1:41000' },
      },
    },
    {
      name: 'an old handle without an address',
      json: JSON.stringify({ driver: 'process', ref: '4242', logPath }),
      expect: { driver: 'process', pid: 4242, logPath, addresses: {} },
    },
    {
      name: 'a docker handle',
      json: JSON.stringify({
        driver: 'docker',
        containerId: 'a'.repeat(64),
        containerName: 'berth-web-m1',
        addresses: { '8080': '172.17.0.5:8080', '9090': '172.17.0.5:9090' },
        published: { '8080': '127.0.0.1:32768', '9090': '127.0.0.1:32769' },
      }),
      expect: {
        driver: 'docker',
        containerId: 'a'.repeat(64),
        containerName: 'berth-web-m1',
        addresses: { '8080': '172.17.0.5:8080', '9090': '172.17.0.5:9090' },
        published: { '8080': '127.0.0.1:32768', '9090': '127.0.0.1:32769' },
      },
    },
    {
      name: 'a docker handle from before published addresses: its addresses were the published ones',
      json: JSON.stringify({
        driver: 'docker',
        containerId: 'a'.repeat(64),
        containerName: 'berth-web-m1',
        addresses: { '8080': '127.0.0.1:32768' },
      }),
      expect: {
        driver: 'docker',
        containerId: 'a'.repeat(64),
        containerName: 'berth-web-m1',
        addresses: { '8080': '127.0.0.1:32768' },
        published: { '8080': '127.0.0.1:32768' },
      },
    },
    {
      name: 'published addresses that are not addresses',
      json: JSON.stringify({
        driver: 'docker',
        containerId: 'a'.repeat(64),
        containerName: 'berth-web-m1',
        addresses: {},
        published: { '8080': 5 },
      }),
      expect: null,
    },
    {
      name: 'pid 1 would signal everything',
      json: JSON.stringify({ driver: 'process', pid: 1, logPath, addresses: {} }),
      expect: null,
    },
    {
      name: 'pid 0 is our own group',
      json: JSON.stringify({ driver: 'process', ref: '0', logPath }),
      expect: null,
    },
    {
      name: 'a ref that is not a pid',
      json: JSON.stringify({ driver: 'process', ref: 'abc', logPath }),
      expect: null,
    },
    {
      name: 'no log path',
      json: JSON.stringify({ driver: 'process', pid: 42, addresses: {} }),
      expect: null,
    },
    {
      name: 'addresses keyed by something else than a port',
      json: JSON.stringify({ driver: 'process', pid: 42, logPath, addresses: { http: '127.0.0.1:1' } }),
      expect: null,
    },
    {
      name: 'a container id that is not hex',
      json: JSON.stringify({ driver: 'docker', containerId: '../x', containerName: 'n', addresses: {} }),
      expect: null,
    },
    { name: 'an unknown driver', json: JSON.stringify({ driver: 'swarm', ref: 'x' }), expect: null },
    { name: 'not an object', json: '"process"', expect: null },
  ];
  for (const c of cases) assert.deepEqual(parseHandle(c.json), c.expect, c.name);
});

test('primaryAddress: the HTTP port when named and published, else the first', () => {
  const handle: MachineHandle = {
    driver: 'docker',
    containerId: 'b'.repeat(12),
    containerName: 'n',
    addresses: { '9090': '127.0.0.1:2', '8080': '127.0.0.1:1' },
    published: {},
  };
  assert.equal(primaryAddress(handle, 9090), '127.0.0.1:2');
  assert.equal(primaryAddress(handle, 8080), '127.0.0.1:1');
  // Numeric keys iterate in numeric order: without a port the first is 8080's.
  assert.equal(primaryAddress(handle), '127.0.0.1:1');
  assert.equal(primaryAddress(handle, 3000), '127.0.0.1:1');
  assert.equal(primaryAddress({ ...handle, addresses: {} }), undefined);
});
