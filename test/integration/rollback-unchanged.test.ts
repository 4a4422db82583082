// A bare `berth rollback` after an unchanged redeploy: going back one release would change
// nothing, so it goes to the newest earlier release that runs other code or config, and says
// which it passed over. With nothing different to go back to it refuses and says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseInfo } from '../../src/sdk/types.js';
import { EXAMPLES, TestDaemon } from '../helpers/daemon.js';

const SERVER = `import http from 'node:http';
import { readFileSync } from 'node:fs';
const content = readFileSync(new URL('./content.txt', import.meta.url), 'utf8').trim();
const server = http.createServer((req, res) => res.end(content));
server.listen(Number(process.env.PORT), () => console.log('listening'));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
`;

let daemon: TestDaemon;
let dir: string;
before(async () => {
  daemon = await TestDaemon.start();
  dir = mkdtempSync(join(tmpdir(), 'berth-rollback-same-'));
  cpSync(join(EXAMPLES, 'hello'), dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), SERVER);
});
after(async () => {
  await daemon.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function deploy(app: string, content: string): Promise<void> {
  writeFileSync(join(dir, 'content.txt'), content + '\n');
  const result = await daemon.cli(['deploy', dir, '-a', app]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
}

test('a bare rollback skips an unchanged redeploy, goes to the last release that differs, and says so', async () => {
  await deploy('same', 'one');
  await deploy('same', 'two');
  await deploy('same', 'two'); // v3: the same source and config as v2
  const result = await daemon.cli(['rollback', '-a', 'same']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /==> Release v4 of same created: rollback to v1/);
  assert.match(
    result.stdout,
    /==> V2 runs the same code and config as the current v3 \(a redeploy or a secrets change\), so rolling back to v1, the last release that differs/,
  );
  assert.equal((await daemon.proxied('same')).body, 'one');
});

test('a named release with the same code is redeployed, with a note that it changes nothing', async () => {
  const result = await daemon.cli(['rollback', 'v1', '-a', 'same', '--json']);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const warnings = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind: string; warning?: string })
    .filter((e) => e.kind === 'warning');
  assert.ok(
    warnings.some((w) =>
      /v1 runs the same code and config as the current v4: this rollback changes nothing/.test(
        w.warning ?? '',
      ),
    ),
    JSON.stringify(warnings),
  );
});

test('with no earlier release that differs, a bare rollback is refused and makes no release', async () => {
  await deploy('once', 'only');
  await deploy('once', 'only');
  const result = await daemon.cli(['rollback', '-a', 'once']);
  assert.equal(result.code, 2, result.stderr + result.stdout);
  assert.match(
    result.stderr,
    /every release before v2 that served runs the same code and config as v2: a rollback would change nothing/,
  );
  assert.match(result.stderr, /code: no_rollback_target/);
  assert.equal((await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', 'once'])).length, 2);
});
