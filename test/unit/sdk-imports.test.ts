// `import { BerthClient } from 'berth'` must stay cheap and safe for a program that only talks
// to a daemon: the package's entry point is the SDK, whose modules load none of the daemon's
// (SQLite, Docker, PTYs, the store, drivers, proxy). Walks the built module graph from the
// entry point package.json names, following static imports and, separately, dynamic ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  exports: Record<string, { types: string; default: string }>;
};

/** Every module reachable from `entry`: relative paths inside the repo, and package names. */
function moduleGraph(entry: string, withDynamic: boolean): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    const patterns = [/^\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'/gm, /^\s*import\s*'([^']+)'/gm];
    if (withDynamic) patterns.push(/\bimport\(\s*'([^']+)'\s*\)/g);
    for (const pattern of patterns) {
      for (const m of source.matchAll(pattern)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else if (!spec.startsWith('node:'))
          packages.add(
            spec
              .split('/')
              .slice(0, spec.startsWith('@') ? 2 : 1)
              .join('/'),
          );
      }
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(REPO_ROOT, f)).sort(), packages: [...packages].sort() };
}

const entry = join(REPO_ROOT, pkg.exports['.']!.default);

test("package.json's main, types and exports name the SDK, built", () => {
  assert.equal(`./${pkg.main}`, pkg.exports['.']!.default);
  assert.equal(`./${pkg.types}`, pkg.exports['.']!.types);
  assert.equal(pkg.exports['.']!.default, './dist/src/sdk/index.js');
  assert.ok(existsSync(entry), `${entry} is not built`);
  assert.ok(existsSync(join(REPO_ROOT, pkg.exports['.']!.types)));
});

test('importing the SDK loads only the SDK and pure core modules (the error catalog, session frames)', () => {
  const { files, packages } = moduleGraph(entry, false);
  const outside = files.filter((f) => !f.startsWith('dist/src/sdk/') && !f.startsWith('dist/src/core/'));
  assert.deepEqual(outside, []);
  assert.deepEqual(packages, []);
});

test('no SDK call ever loads the daemon: not even a deploy, which packs and reads config', () => {
  const { files, packages } = moduleGraph(entry, true);
  const daemonOnly = ['better-sqlite3', 'dockerode', 'node-pty', 'prom-client', 'node-forge'];
  assert.deepEqual(
    packages.filter((p) => daemonOnly.includes(p)),
    [],
  );
  // The home's small file readers (node:fs only) are all fromEnv() takes from src/daemon.
  const homeReaders = ['home.js', 'credentials.js', 'server-info.js'].map((f) => `dist/src/daemon/${f}`);
  const forbidden = files.filter(
    (f) =>
      /^dist\/src\/(store|drivers|proxy|secrets|api)\//.test(f) ||
      (f.startsWith('dist/src/daemon/') && !homeReaders.includes(f)),
  );
  assert.deepEqual(forbidden, []);
  // It does reach the packer and the config reader, lazily.
  assert.ok(files.includes('dist/src/artifacts/pack.js'));
  assert.ok(files.includes('dist/src/config/load.js'));
});
