// Runs the unit tests, then the integration tests (one file at a time: they start real
// daemons and processes), and ends with one plain count line for CI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const suites = [
  [
    'unit',
    [
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      '--test-reporter-destination=dist/.unit.tap',
      'dist/test/unit/',
    ],
  ],
  [
    'integration',
    [
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      '--test-reporter-destination=dist/.integration.tap',
      'dist/test/integration/',
    ],
  ],
];

let passed = 0;
let failed = 0;
let status = 0;
for (const [name, args] of suites) {
  if (!existsSync(args.at(-1))) continue;
  console.log(`\n# ${name} tests`);
  const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (run.status !== 0) status = 1;
  const { readFileSync } = await import('node:fs');
  const tap = readFileSync(`dist/.${name}.tap`, 'utf8');
  passed += Number(/^# pass (\d+)/m.exec(tap)?.[1] ?? 0);
  failed += Number(/^# fail (\d+)/m.exec(tap)?.[1] ?? 0);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status || (failed > 0 ? 1 : 0));
