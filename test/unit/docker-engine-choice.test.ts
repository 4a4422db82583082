// Which Docker Engine the tests use, and that CI never skips the Docker tests for lack of one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerHostForTests } from '../helpers/docker-engine.js';

const cases: {
  name: string;
  env: NodeJS.ProcessEnv;
  socket: boolean;
  expect: string | undefined | 'throws';
}[] = [
  {
    name: 'DOCKER_HOST wins',
    env: { DOCKER_HOST: 'unix:///tmp/x.sock' },
    socket: true,
    expect: 'unix:///tmp/x.sock',
  },
  { name: 'the default socket', env: {}, socket: true, expect: 'unix:///var/run/docker.sock' },
  { name: 'none outside CI: skip', env: {}, socket: false, expect: undefined },
  { name: 'blank DOCKER_HOST is none', env: { DOCKER_HOST: ' ' }, socket: false, expect: undefined },
  { name: 'none in CI: fail', env: { CI: 'true' }, socket: false, expect: 'throws' },
  {
    name: 'CI with DOCKER_HOST',
    env: { CI: 'true', DOCKER_HOST: 'tcp://127.0.0.1:2375' },
    socket: false,
    expect: 'tcp://127.0.0.1:2375',
  },
];

for (const c of cases) {
  test(`docker host for tests: ${c.name}`, () => {
    if (c.expect === 'throws') {
      assert.throws(() => dockerHostForTests(c.env, c.socket), /CI has no Docker Engine: .*DOCKER_HOST/);
    } else {
      assert.equal(dockerHostForTests(c.env, c.socket), c.expect);
    }
  });
}
