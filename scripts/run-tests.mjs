// Runs the unit tests, then the integration tests (one file at a time: they start real
// daemons and processes), and ends with one plain count line for CI:
// "N passed, N failed, N skipped" (skipped counts skipped and todo tests; a test file
// cancelled by its timeout counts as failed).
//
// --test-timeout: with Node 20 every test file runs in its own process, and the timeout
// bounds each file (not each test inside it): a hung daemon fails the run naming its file,
// after the tests of that file that passed, instead of hanging CI. The values sit well above
// the slowest file measured in a full run (see README, "Setup and tests").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const UNIT_FILE_TIMEOUT_MS = 120_000;
const INTEGRATION_FILE_TIMEOUT_MS = 1_200_000;

const suites = [
  [
    'unit',
    [
      '--test',
      `--test-timeout=${UNIT_FILE_TIMEOUT_MS}`,
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
      `--test-timeout=${INTEGRATION_FILE_TIMEOUT_MS}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      '--test-reporter-destination=dist/.integration.tap',
      'dist/test/integration/',
    ],
  ],
];

const count = (tap, what) => Number(new RegExp(`^# ${what} (\\d+)`, 'm').exec(tap)?.[1] ?? 0);

let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
for (const [name, args] of suites) {
  if (!existsSync(args.at(-1))) continue;
  console.log(`\n# ${name} tests`);
  const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (run.status !== 0) status = 1;
  const tap = readFileSync(`dist/.${name}.tap`, 'utf8');
  passed += count(tap, 'pass');
  failed += count(tap, 'fail') + count(tap, 'cancelled');
  skipped += count(tap, 'skipped') + count(tap, 'todo');
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status || (failed > 0 ? 1 : 0));
