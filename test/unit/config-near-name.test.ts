// "Did you mean" for unknown config keys: the nearest known name within one edit per four
// letters, case and "-"/"_" aside, else none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestName, unknownKeyHint } from '../../src/core/config/near-name.js';
import { loadConfigText } from '../../src/config/load.js';

const TOP = ['app', 'primary_region', 'kill_signal', 'kill_timeout', 'build', 'deploy', 'env', 'processes'];
const SERVICE = ['internal_port', 'force_https', 'auto_stop_machines', 'auto_start_machines', 'processes'];

const cases: Array<[string, readonly string[], string | undefined]> = [
  ['internal_prot', SERVICE, 'internal_port'], // swapped letters
  ['internal_por', SERVICE, 'internal_port'], // one missing
  ['internal-port', SERVICE, 'internal_port'], // dash for underscore
  ['Internal_Port', SERVICE, 'internal_port'], // case
  ['intenral_prot', SERVICE, 'internal_port'], // two swaps in 13 letters
  ['auto_stop_machine', SERVICE, 'auto_stop_machines'],
  ['deplyo', TOP, 'deploy'],
  ['proccesses', TOP, 'processes'],
  ['kill_timout', TOP, 'kill_timeout'],
  ['ap', TOP, 'app'],
  ['colour', TOP, undefined], // nothing near
  ['wat', TOP, undefined],
  ['region', TOP, undefined], // a word of a key is not a typo of it
  ['xyz', TOP, undefined],
  ['app', TOP, undefined], // known names are not suggested for themselves
  ['x'.repeat(65), ['x'.repeat(64)], undefined], // too long to be a typo
  ['', TOP, undefined],
];
for (const [word, known, expected] of cases) {
  test(`nearest name to "${word.slice(0, 20)}" is ${expected ?? 'none'}`, () => {
    assert.equal(nearestName(word, known), expected);
  });
}

test('the hint names the near key, else keeps the plain advice', () => {
  assert.equal(unknownKeyHint('deplyo', TOP, 'Check it.'), 'Did you mean "deploy"? If not, remove it.');
  assert.equal(unknownKeyHint('colour', TOP, 'Check it.'), 'Check it.');
});

test('a loaded config with misspelt keys warns with "did you mean" for each', () => {
  const loaded = loadConfigText(
    'app = "x"\nkill_timout = "5s"\n[http_service]\ninternal_prot = 8080\n[deplyo]\nstrategy = "rolling"\n',
    'berth.toml',
  );
  const hints = Object.fromEntries(loaded.diagnostics.map((d) => [d.path, d.hint]));
  assert.match(hints.kill_timout ?? '', /Did you mean "kill_timeout"\?/);
  assert.match(hints['http_service.internal_prot'] ?? '', /Did you mean "internal_port"\?/);
  assert.match(hints.deplyo ?? '', /Did you mean "deploy"\?/);
});
