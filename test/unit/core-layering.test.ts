// The layering guard, run through ESLint's own API with the project's config on source text
// placed at paths inside (and outside) src/core: every depth of '../' and every Node
// built-in is caught in the core; core's own folders, packages and edge modules are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: REPO_ROOT });

/** The layering complaints ESLint makes about `source` written at `file`. */
async function complaints(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(REPO_ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'berth/core-is-pure').map((m) => m.messageId!);
}

const cases: Array<{ file: string; source: string; expect: string[] }> = [
  // The two the old guard missed: an edge two levels up, and a bare built-in.
  { file: 'src/core/rollout/probe.ts', source: "import { x } from '../../store/x.js';", expect: ['edge'] },
  { file: 'src/core/probe.ts', source: "import { readFileSync } from 'fs';", expect: ['builtin'] },
  { file: 'src/core/probe.ts', source: "import { join } from 'path';", expect: ['builtin'] },
  { file: 'src/core/probe.ts', source: "import { rm } from 'fs/promises';", expect: ['builtin'] },
  { file: 'src/core/probe.ts', source: "import { join } from 'node:path';", expect: ['builtin'] },
  { file: 'src/core/probe.ts', source: "const cp = await import('child_process');", expect: ['builtin'] },
  { file: 'src/core/probe.ts', source: "import type { Store } from '../store/store.js';", expect: ['edge'] },
  { file: 'src/core/a/b/probe.ts', source: "export * from '../../../daemon/y.js';", expect: ['edge'] },
  { file: 'src/core/a/probe.ts', source: "export { y } from '../../../src/api/y.js';", expect: ['edge'] },
  // src/config is an edge; src/core/config is core: the same text means either by depth.
  { file: 'src/core/probe.ts', source: "import { load } from '../config/load.js';", expect: ['edge'] },
  {
    file: 'src/core/rollout/probe.ts',
    source: "import type { AppConfig } from '../config/types.js';",
    expect: [],
  },
  { file: 'src/core/probe.ts', source: "import { parseDuration } from './config/duration.js';", expect: [] },
  { file: 'src/core/probe.ts', source: "import { Type } from '@sinclair/typebox';", expect: [] },
  {
    file: 'src/core/probe.ts',
    source: "import { readFileSync } from 'fs';\nimport { x } from '../../store/x.js';",
    expect: ['builtin', 'edge'],
  },
  // Outside the core, edges do I/O.
  { file: 'src/daemon/probe.ts', source: "import { readFileSync } from 'node:fs';", expect: [] },
];

for (const c of cases) {
  test(`${c.file}: ${c.source.replace(/\n/g, ' ')} -> ${c.expect.join(', ') || 'allowed'}`, async () => {
    assert.deepEqual(await complaints(c.file, c.source), c.expect);
  });
}

test('the whole of src/core passes the guard as it stands', async () => {
  const results = await eslint.lintFiles([join(REPO_ROOT, 'src/core')]);
  const problems = results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId === 'berth/core-is-pure').map((m) => `${r.filePath}: ${m.message}`),
  );
  assert.deepEqual(problems, []);
});
