// The drivers a rollout test runs against: the process driver always, docker when the tests
// have an Engine (CI always has one; see docker-engine.ts). A test file loops over them, so one
// file states each behaviour once and checks it on every driver:
//
//   for (const driver of testDrivers()) describe(`rollouts (${driver.name})`, { skip: driver.skip }, () => { … });
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerHostForTests, Engine, NO_ENGINE } from './docker-engine.js';
import { ensureTestImages } from './docker-images.js';
import type { DriverName } from '../../src/core/drivers.js';

export interface TestDriver {
  name: DriverName;
  /** For describe()'s skip option: false, or why this driver cannot be tested here. */
  skip: string | false;
  /** `--driver NAME` for `berth deploy`. */
  deployArgs: string[];
  /** Makes what the driver needs before a daemon uses it (docker: the base images). */
  prepare(): Promise<void>;
}

export function testDrivers(): TestDriver[] {
  const dockerHost = dockerHostForTests();
  return [
    { name: 'process', skip: false, deployArgs: ['--driver', 'process'], prepare: async () => {} },
    {
      name: 'docker',
      skip: dockerHost === undefined ? NO_ENGINE : false,
      deployArgs: ['--driver', 'docker'],
      prepare: async () => {
        await ensureTestImages(new Engine(dockerHost));
      },
    },
  ];
}

/** The test base image with the app's tree in /app, running `node server.js` unless [processes] says otherwise. */
const DOCKERFILE = 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n';

/** docker: gives a test app the Dockerfile its image is built from; process: nothing to add. */
export function addDockerfile(dir: string, driver: DriverName): void {
  if (driver === 'docker') writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
}
