// Table-driven: what an image build of a [build] section is, and what is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerBuildPlan, unsupportedBuild } from '../../src/core/config/docker-build.js';
import type { AppConfig } from '../../src/core/config/types.js';

const build = (b: Partial<AppConfig['build']>): AppConfig['build'] => ({ args: {}, ...b });

test('plans', () => {
  const cases: { given: AppConfig['build']; want: ReturnType<typeof dockerBuildPlan> }[] = [
    { given: build({}), want: { kind: 'dockerfile', dockerfile: 'Dockerfile', args: {} } },
    {
      given: build({ dockerfile: 'docker/Dockerfile.prod', target: 'web', args: { A: '1' } }),
      want: { kind: 'dockerfile', dockerfile: 'docker/Dockerfile.prod', target: 'web', args: { A: '1' } },
    },
    {
      given: build({ image: ' nginx:1.27 ', dockerfile: 'Dockerfile' }),
      want: { kind: 'image', image: 'nginx:1.27' },
    },
    {
      given: build({ command: 'npm run build' }),
      want: { kind: 'dockerfile', dockerfile: 'Dockerfile', args: {} },
    },
  ];
  for (const c of cases) assert.deepEqual(dockerBuildPlan(c.given), c.want);
});

test('refusals name the key and say to use a Dockerfile', () => {
  assert.equal(unsupportedBuild(build({ dockerfile: 'Dockerfile' })), undefined);
  assert.equal(
    unsupportedBuild(build({ builder: 'heroku/builder:24', dockerfile: 'Dockerfile' })),
    undefined,
  );
  const builder = unsupportedBuild(build({ builder: 'paketobuildpacks/builder:base' }));
  assert.equal(builder?.path, 'build.builder');
  assert.match(builder?.message ?? '', /not supported, use a Dockerfile/);
  assert.match(builder?.hint ?? '', /Dockerfile/);
});
