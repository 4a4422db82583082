// Every real fly.toml in the shared corpus must load: no throw, and no error diagnostics
// unless the file is not valid TOML at all, or builds with buildpacks, which berth refuses
// with unsupported_builder alone. The log line counts what fly's defaults and the build keys
// mean in the corpus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { formatDiagnostics, loadConfigFile } from '../../src/config/load.js';
import type { AppConfig } from '../../src/core/config/types.js';

// From dist/test/unit/ up to the folder that holds the repository and shared/.
const corpus = fileURLToPath(new URL('../../../../shared/corpus/fly-toml/', import.meta.url));

function parsed(file: string): Record<string, unknown> | undefined {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** What fly's defaults and the build keys mean in one loaded file. */
function figures(raw: Record<string, unknown>, config: AppConfig) {
  const services = Array.isArray(raw.services) ? (raw.services as Record<string, unknown>[]) : [];
  const checks = (raw.checks ?? {}) as Record<string, Record<string, unknown>>;
  return {
    servicePortDefaulted: services.some((s) => s.internal_port === undefined),
    checkPortDefaulted: config.checks.some((c) => checks[c.name]?.port === undefined),
    emptyCommand: Object.values(config.processes).some((command) => command === ''),
    dockerBuild: config.build.image !== undefined || config.build.dockerfile !== undefined,
  };
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
  let buildpacks = 0;
  const counts = { servicePortDefaulted: 0, checkPortDefaulted: 0, emptyCommand: 0, dockerBuild: 0 };
  const failures: string[] = [];
  for (const name of files) {
    const file = corpus + name;
    const result = loadConfigFile(file);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const raw = parsed(file);
    if (!raw) {
      invalidToml++;
      // Exactly one diagnostic, pointing at the parser's line.
      assert.equal(errors.length, 1, name);
      assert.ok(errors[0]?.line, `${name}: the syntax error has a line`);
      continue;
    }
    if (errors.length > 0 && errors.every((d) => d.code === 'unsupported_builder')) {
      buildpacks++;
      continue;
    }
    if (errors.length > 0 || !result.config) {
      failures.push(formatDiagnostics(result));
      continue;
    }
    loaded++;
    for (const [key, yes] of Object.entries(figures(raw, result.config))) {
      if (yes) counts[key as keyof typeof counts]++;
    }
  }
  console.log(
    `corpus: ${files.length} files, ${loaded} loaded, ${buildpacks} refused for buildpacks, ${invalidToml} invalid TOML; ` +
      `of those loaded: ${counts.servicePortDefaulted} with a [[services]] internal_port defaulted to 8080, ` +
      `${counts.checkPortDefaulted} with a [checks] port defaulted, ${counts.emptyCommand} with an empty [processes] command, ` +
      `${counts.dockerBuild} with a [build] dockerfile or image`,
  );
  assert.deepEqual(failures, []);
});
