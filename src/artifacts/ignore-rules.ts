// Which files of an app directory `berth deploy` packs. A .dockerignore, when present, is the
// whole truth (as `docker build` reads it); otherwise the root .gitignore and every nested
// .gitignore apply, as git reads them. `.git` is never packed.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { BerthError } from '../core/errors.js';

export type IgnoreSource = '.dockerignore' | '.gitignore' | 'none';

export interface PackEntry {
  /** Path relative to the packed directory, with forward slashes. */
  path: string;
  absolute: string;
  type: 'file' | 'dir' | 'symlink';
}

export interface Selection {
  source: IgnoreSource;
  /** Sorted by name within each directory; a directory comes before what it holds. */
  entries: PackEntry[];
}

/** Docker sends these even when .dockerignore excludes them, because the build needs them. */
const ALWAYS_PACKED = new Set(['Dockerfile', '.dockerignore']);

interface Rules {
  ignores(rel: string, isDir: boolean): boolean;
  /** Whether a later rule may re-include something inside an ignored directory. */
  readonly canReinclude: boolean;
  /** The rules in force inside a directory (nested .gitignore files add to them). */
  enter(rel: string, absolute: string): Promise<Rules>;
}

/** Walks `root` and returns what to pack, honouring .dockerignore or .gitignore. */
export async function selectFiles(root: string): Promise<Selection> {
  const absoluteRoot = path.resolve(root);
  const dockerignore = await readOptional(path.join(absoluteRoot, '.dockerignore'));
  let source: IgnoreSource;
  let rules: Rules;
  if (dockerignore !== undefined) {
    source = '.dockerignore';
    rules = new DockerignoreRules(dockerignore);
  } else {
    const gitignore = await new GitignoreRules([]).enter('', absoluteRoot);
    source = gitignore.layers.length > 0 ? '.gitignore' : 'none';
    rules = gitignore;
  }
  const entries = await walk(absoluteRoot, '', rules);
  return { source, entries };
}

async function walk(absoluteDir: string, relDir: string, rules: Rules): Promise<PackEntry[]> {
  let dirents;
  try {
    dirents = await readdir(absoluteDir, { withFileTypes: true });
  } catch (err) {
    throw unreadable(relDir || '.', err);
  }
  const names = dirents.map((d) => d.name).sort();
  const byName = new Map(dirents.map((d) => [d.name, d]));
  const out: PackEntry[] = [];
  for (const name of names) {
    if (name === '.git') continue;
    const dirent = byName.get(name)!;
    const rel = relDir ? `${relDir}/${name}` : name;
    const absolute = path.join(absoluteDir, name);
    if (dirent.isDirectory()) {
      const ignored = rules.ignores(rel, true);
      // Without exceptions an ignored directory is skipped whole, so node_modules costs nothing.
      if (ignored && !rules.canReinclude) continue;
      const inner = await walk(absolute, rel, await rules.enter(rel, absolute));
      if (!ignored || inner.length > 0) out.push({ path: rel, absolute, type: 'dir' }, ...inner);
    } else if (dirent.isFile() || dirent.isSymbolicLink()) {
      const kept = relDir === '' && ALWAYS_PACKED.has(name);
      if (!kept && rules.ignores(rel, false)) continue;
      out.push({ path: rel, absolute, type: dirent.isFile() ? 'file' : 'symlink' });
    }
    // Sockets, fifos and devices are never part of an app's source; they are left out.
  }
  return out;
}

/** Git's reading: deeper files override shallower ones; an ignored directory stays ignored. */
class GitignoreRules implements Rules {
  readonly canReinclude = false;

  constructor(readonly layers: ReadonlyArray<{ base: string; matcher: Ignore }>) {}

  ignores(rel: string, isDir: boolean): boolean {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const { base, matcher } = this.layers[i]!;
      const local = base ? rel.slice(base.length + 1) : rel;
      const verdict = matcher.test(isDir ? `${local}/` : local);
      if (verdict.ignored) return true;
      if (verdict.unignored) return false;
    }
    return false;
  }

  async enter(rel: string, absolute: string): Promise<GitignoreRules> {
    const text = await readOptional(path.join(absolute, '.gitignore'));
    if (text === undefined) return this;
    const matcher = ignore({ ignorecase: false }).add(text);
    return new GitignoreRules([...this.layers, { base: rel, matcher }]);
  }
}

/**
 * Docker's reading: every pattern is relative to the root (`*.md` is only the top level),
 * a pattern also matches everything under a matching directory, the last matching line
 * wins, and `!` exceptions can re-include files inside an excluded directory.
 */
export class DockerignoreRules implements Rules {
  readonly canReinclude: boolean;
  private readonly rules: Array<{ exception: boolean; matcher: Ignore }> = [];

  constructor(text: string) {
    for (const line of text.split(/\r?\n/)) {
      let pattern = line.trim();
      if (pattern === '' || pattern.startsWith('#')) continue;
      const exception = pattern.startsWith('!');
      if (exception) pattern = pattern.slice(1).trim();
      // Docker cleans each pattern as a path: "./a/", "/a" and "a" are the same rule.
      pattern = path.posix.normalize(pattern).replace(/^\/+/, '').replace(/\/+$/, '');
      if (pattern === '' || pattern === '.' || pattern === '..' || pattern.startsWith('../')) continue;
      // One matcher per line, anchored at the root: `ignore` then answers "this line matches
      // the path or one of its parents", and the order of lines is ours to apply.
      this.rules.push({ exception, matcher: ignore({ ignorecase: false }).add(`/${pattern}`) });
    }
    this.canReinclude = this.rules.some((r) => r.exception);
  }

  ignores(rel: string, _isDir: boolean): boolean {
    let ignored = false;
    for (const rule of this.rules) {
      if (rule.matcher.ignores(rel)) ignored = !rule.exception;
    }
    return ignored;
  }

  async enter(): Promise<Rules> {
    return this;
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(file, err);
  }
}

function unreadable(what: string, err: unknown): BerthError {
  return new BerthError('invalid_request', `cannot read ${what}: ${(err as Error).message}`, {
    hint: 'Fix its permissions, or exclude it with .dockerignore (or .gitignore).',
  });
}
