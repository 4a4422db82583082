// Table-driven: the ports a machine listens on against the one it was given, and what to say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeListeningPorts, type PortInput } from '../../src/core/health/listening-port.js';

const cases: {
  name: string;
  input: PortInput;
  state: 'listening' | 'not-yet' | 'wrong-port';
  ports?: number[];
  says?: RegExp;
}[] = [
  { name: 'listening nowhere yet', input: { expected: 41234, listening: [] }, state: 'not-yet' },
  { name: 'listening on $PORT', input: { expected: 41234, listening: [41234] }, state: 'listening' },
  {
    name: 'listening on $PORT and a metrics port',
    input: { expected: 41234, listening: [9091, 41234], internalPort: 8080 },
    state: 'listening',
  },
  {
    name: 'the same socket seen twice (IPv4 and IPv6) counts once',
    input: { expected: 41234, listening: [8080, 8080], internalPort: 8080 },
    state: 'wrong-port',
    ports: [8080],
    says: /^listens on port 8080 \(its internal_port\), not on the port berth gave it in \$PORT \(41234\)/,
  },
  {
    name: 'a fixed port other than internal_port',
    input: { expected: 41234, listening: [3000], internalPort: 8080 },
    state: 'wrong-port',
    ports: [3000],
    says: /^listens on port 3000, not on .*\$PORT \(41234\)/,
  },
  {
    name: 'several wrong ports, named in order',
    input: { expected: 41234, listening: [9091, 8080, 5000] },
    state: 'wrong-port',
    ports: [5000, 8080, 9091],
    says: /^listens on ports 5000, 8080 and 9091, not on/,
  },
];

for (const c of cases) {
  test(`listening port: ${c.name}`, () => {
    const judged = judgeListeningPorts(c.input);
    assert.equal(judged.state, c.state);
    if (judged.state !== 'wrong-port') return;
    assert.deepEqual(judged.ports, c.ports);
    assert.match(judged.message, c.says!);
    assert.match(judged.hint, /PORT environment variable/);
    assert.match(judged.hint, /docker driver/);
  });
}

test('listening port: the hint names internal_port, else the port it listens on', () => {
  const withInternal = judgeListeningPorts({ expected: 1, listening: [3000], internalPort: 8080 });
  const without = judgeListeningPorts({ expected: 1, listening: [3000] });
  assert.ok(withInternal.state === 'wrong-port' && without.state === 'wrong-port');
  assert.match(withInternal.hint, /internal_port 8080/);
  assert.match(without.hint, /internal_port 3000/);
});
