import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineEnv } from '../../src/core/machine-env.js';

test("machine env: host basics, config env, berth identity; never the daemon's secrets", () => {
  const env = machineEnv({
    hostEnv: { PATH: '/usr/bin', HOME: '/root', BERTH_TOKEN: 'secret', AWS_SECRET_ACCESS_KEY: 'x' },
    configEnv: { GREETING: 'hi', PATH: '/app/bin:/usr/bin' },
    app: 'hello',
    releaseVersion: 3,
    machineId: 'abc',
    processGroup: 'web',
  });
  assert.deepEqual(env, {
    PATH: '/app/bin:/usr/bin',
    HOME: '/root',
    GREETING: 'hi',
    BERTH_APP: 'hello',
    BERTH_RELEASE_VERSION: '3',
    BERTH_MACHINE_ID: 'abc',
    BERTH_PROCESS_GROUP: 'web',
  });
});

test('machine env: berth identity cannot be overridden by [env]', () => {
  const env = machineEnv({
    hostEnv: {},
    configEnv: { BERTH_APP: 'spoof' },
    app: 'real',
    releaseVersion: 1,
    machineId: 'm',
    processGroup: 'app',
  });
  assert.equal(env.BERTH_APP, 'real');
});
