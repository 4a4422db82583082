// Every real fly.toml in the shared corpus must load: no throw, and no error diagnostics
// unless the file is not valid TOML at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { formatDiagnostics, loadConfigFile } from '../../src/config/load.js';

// From dist/test/unit/ up to the folder that holds the repository and shared/.
const corpus = fileURLToPath(new URL('../../../../shared/corpus/fly-toml/', import.meta.url));

function parses(file: string): boolean {
  try {
    parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

test('every corpus fly.toml loads', (t) => {
  if (!existsSync(corpus)) {
    t.skip(`no corpus at ${corpus}`);
    return;
  }
  const files = readdirSync(corpus)
    .filter((f) => f.endsWith('.toml'))
    .sort();
  assert.ok(files.length > 0, 'the corpus has files');
  let loaded = 0;
  let invalidToml = 0;
  const failures: string[] = [];
  for (const name of files) {
    const file = corpus + name;
    const result = loadConfigFile(file);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (!parses(file)) {
      invalidToml++;
      // Exactly one diagnostic, pointing at the parser's line.
      assert.equal(errors.length, 1, name);
      assert.ok(errors[0]?.line, `${name}: the syntax error has a line`);
      continue;
    }
    if (errors.length > 0 || !result.config) failures.push(formatDiagnostics(result));
    else loaded++;
  }
  console.log(`corpus: ${files.length} files, ${loaded} loaded, ${invalidToml} invalid TOML`);
  assert.deepEqual(failures, []);
});
