// Unpacks an uploaded artifact into a release directory. The archive comes from a client, so
// every entry header is judged before anything is written, and anything that could reach
// outside the directory is refused, never rewritten: absolute paths, ".." components, links
// leading out, devices and fifos, and archives bigger than the limit.
//
// Symlinks are created last. Until then the directory holds only real files and directories
// that berth made, so no write can be redirected through a link; and with every link known,
// each one is followed through the others to prove it stays inside.

import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { link, mkdir, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { BerthError } from '../core/errors.js';

export interface UnpackOptions {
  /** Refuse archives whose files add up to more than this many bytes. */
  maxBytes: number;
}

export interface UnpackResult {
  /** Regular files, hard links and symlinks created. */
  files: number;
  /** Bytes of file contents written. */
  bytes: number;
}

// Linux gives up resolving a path after 40 symlinks; so does berth, counting every hop.
const MAX_LINK_HOPS = 40;
// Linux's limits (NAME_MAX, PATH_MAX less its NUL), judged on the header so that a name the
// file system would refuse part-way is refused before anything is written.
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 4095;
// Deeper than any real tree (node_modules nests a few dozen levels); each level is a directory
// to make, so without a bound 5 KB of tar could make 2,000 of them.
const MAX_DEPTH = 128;
// Directories that entries imply without listing them (berth's own archives list every one):
// without a bound, each deep entry of a few hundred bytes would make a hundred directories.
const MAX_IMPLIED_DIRS = 20_000;
// Files written at once: creating many small files is bound by file system latency.
const PARALLEL_WRITES = 8;
// Headers, padding and PAX records a well-formed tar carries besides its files' contents.
// Anything beyond this is padding or metadata meant to make the parser work for nothing.
const TAR_OVERHEAD_BASE = 1024 * 1024;
const TAR_OVERHEAD_PER_ENTRY = 3 * 1024;
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Unpacks a gzip tar into `destDir`, which must be missing or empty. On any refusal or error
 * `destDir` is removed, so a half-unpacked release never exists.
 */
export async function unpackArchive(
  archivePath: string,
  destDir: string,
  options: UnpackOptions,
): Promise<UnpackResult> {
  await mkdir(destDir, { recursive: true });
  if ((await readdir(destDir)).length > 0) {
    throw new BerthError('internal', `cannot unpack into ${destDir}: the directory is not empty`);
  }
  try {
    return await new Extraction(await realpath(destDir), options.maxBytes).run(archivePath);
  } catch (err) {
    await rm(destDir, { recursive: true, force: true });
    throw err;
  }
}

type Kind = 'dir' | 'file' | 'symlink';
interface SeenNode {
  kind: Kind;
  children?: Map<string, SeenNode>;
}

class Extraction {
  /**
   * What each path in the tree is, including directories implied by deeper entries: a tree
   * walked part by part, so judging a path costs its length, not its depth times its length.
   */
  private readonly seen: SeenNode = { kind: 'dir' };
  /** Directories made or being made; each is asked of the file system once. */
  private readonly dirs = new Map<string, Promise<void>>();
  /** When each file (or hard link) is complete: a hard link waits for its target. */
  private readonly written = new Map<string, Promise<void>>();
  private readonly symlinks: Array<{ path: string; target: string; raw: string }> = [];
  private files = 0;
  private bytes = 0;
  private entries = 0;
  private impliedDirs = 0;
  private tarBytes = 0;
  /** File system work under way; each promise settles, never rejects (errors go to fail). */
  private readonly inflight = new Set<Promise<void>>();
  private readonly writers = new Set<WriteStream>();
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  private failure: Error | undefined;
  private stopReading: (err: Error) => void = () => {};

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
  ) {}

  async run(archivePath: string): Promise<UnpackResult> {
    try {
      await this.read(archivePath);
    } finally {
      while (this.inflight.size > 0) await Promise.all(this.inflight);
    }
    if (this.failure) throw this.failure;
    await this.createSymlinks();
    return { files: this.files, bytes: this.bytes };
  }

  private read(archivePath: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const input = createReadStream(archivePath);
      // We gunzip ourselves: the parser would also accept a bare tar, and berth takes gzip only.
      const gunzip = createGunzip();
      const parser = new Parser({ strict: true, brotli: false, zstd: false });
      let sawEof = false;
      this.stopReading = (err) => {
        input.destroy();
        gunzip.destroy();
        for (const writer of this.writers) writer.destroy();
        reject(err);
      };

      input.on('error', (err) => this.fail(err));
      gunzip.on('error', (err) => this.fail(invalid(`it is not a gzip-compressed tar (${err.message})`)));
      gunzip.on('data', (chunk: Buffer) => {
        if (this.failure) return;
        if (this.tarBytes === 0 && GZIP_MAGIC.every((byte, i) => chunk[i] === byte)) {
          return this.fail(invalid('it is compressed twice'));
        }
        this.tarBytes += chunk.length;
        const allowance = this.maxBytes + TAR_OVERHEAD_BASE + this.entries * TAR_OVERHEAD_PER_ENTRY;
        if (this.tarBytes > allowance) {
          return this.fail(
            tooLarge(
              `the archive expands to more than ${allowance} bytes of tar data, far more than its ${this.entries} entries need (limit ${this.maxBytes} bytes of files)`,
              { limit: this.maxBytes, tarBytes: this.tarBytes },
            ),
          );
        }
        // What follows the end-of-archive marker is padding; count it, do not parse it.
        if (sawEof) return;
        if (!parser.write(chunk)) {
          gunzip.pause();
          parser.once('drain', () => gunzip.resume());
        }
      });
      gunzip.on('end', () => parser.end());

      parser.on('entry', (entry: ReadEntry) => this.guard(() => this.accept(entry)));
      // The parser skips entry types it does not know and oversized metadata; berth refuses them.
      parser.on('ignoredEntry', (entry: ReadEntry) =>
        this.fail(unsafe(entry.path, `has an unsupported entry type (${entry.type})`)),
      );
      parser.on('eof', () => (sawEof = true));
      parser.on('error', (err: Error & { tarCode?: string }) => {
        // A tar of nothing but its end marker is an empty directory, not a broken archive.
        if (err.tarCode === 'TAR_BAD_ARCHIVE' && sawEof && this.entries === 0) return;
        this.fail(invalid(`it is not a valid tar (${err.message})`));
      });
      parser.on('end', () => resolve());

      input.pipe(gunzip);
    });
  }

  /** Judges one entry header, synchronously and in order, then queues what it needs written. */
  private accept(entry: ReadEntry): void {
    this.entries++;
    const raw = entry.path;
    const where = relativePath(raw);
    if ('problem' in where) throw unsafe(raw, where.problem);
    const rel = where.rel;
    this.checkLength(raw, rel);
    if (rel === '') {
      // "./" is the target directory itself: nothing to do. Anything else there would replace it.
      if (entry.type === 'Directory') return void entry.resume();
      throw unsafe(raw, 'would replace the target directory');
    }
    switch (entry.type) {
      case 'Directory':
        this.claim(rel, 'dir', raw);
        entry.resume();
        this.start(() => this.makeDir(rel));
        return;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        this.claim(rel, 'file', raw);
        const size = entry.size;
        // Judged on the header's size, before a byte of it is written.
        if (this.bytes + size > this.maxBytes) {
          throw tooLarge(
            `unpacking "${raw}" (${size} bytes) brings the archive to ${this.bytes + size} bytes, over the limit of ${this.maxBytes} bytes`,
            { limit: this.maxBytes, entry: raw, size: this.bytes + size },
          );
        }
        this.bytes += size;
        this.files++;
        // Only the executable bit is kept: no setuid, no world-writable files.
        const mode = (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644;
        this.written.set(
          rel,
          this.start(() => this.writeFile(entry, rel, mode)),
        );
        return;
      }
      case 'SymbolicLink': {
        const target = entry.linkpath ?? '';
        if (Buffer.byteLength(target) > MAX_PATH_BYTES) {
          throw tooLong(raw, `is a symlink whose target is longer than ${MAX_PATH_BYTES} bytes`);
        }
        checkSymlinkTarget(raw, rel, target);
        this.claim(rel, 'symlink', raw);
        this.symlinks.push({ path: rel, target, raw });
        this.files++;
        entry.resume();
        this.start(() => this.makeDir(parentOf(rel).join('/')));
        return;
      }
      case 'Link': {
        // A hard link names an earlier entry of the archive, relative to its root.
        const linkpath = entry.linkpath ?? '';
        const to = relativePath(linkpath);
        if ('problem' in to) throw unsafe(raw, `is a hard link to "${linkpath}", which ${to.problem}`);
        const target = to.rel;
        if (this.kindOf(target) !== 'file') {
          throw unsafe(raw, `is a hard link to "${linkpath}", which is not a file earlier in the archive`);
        }
        this.claim(rel, 'file', raw);
        this.files++;
        entry.resume();
        const targetWritten = this.written.get(target);
        this.written.set(
          rel,
          this.start(async () => {
            await Promise.all([this.makeDir(parentOf(rel).join('/')), targetWritten]);
            if (!this.failure) await link(this.absolute(target), this.absolute(rel));
          }),
        );
        return;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
        throw unsafe(raw, 'is a device file');
      case 'FIFO':
        throw unsafe(raw, 'is a fifo');
      default:
        throw unsafe(raw, `has an unsupported entry type (${entry.type})`);
    }
  }

  /**
   * Refuses names the file system would refuse (a part over NAME_MAX, a path over PATH_MAX) and
   * trees deeper than berth makes.
   */
  private checkLength(raw: string, rel: string): void {
    const parts = rel.split('/');
    if (parts.length > MAX_DEPTH) {
      throw tooLong(raw, `is ${parts.length} levels deep; berth unpacks trees at most ${MAX_DEPTH} deep`);
    }
    for (const part of parts) {
      const bytes = Buffer.byteLength(part);
      if (bytes > MAX_NAME_BYTES) {
        throw tooLong(raw, `has a name of ${bytes} bytes; file systems take at most ${MAX_NAME_BYTES}`);
      }
    }
    const bytes = Buffer.byteLength(this.absolute(rel));
    if (bytes > MAX_PATH_BYTES) {
      throw tooLong(
        raw,
        `would be unpacked at a path of ${bytes} bytes; file systems take at most ${MAX_PATH_BYTES}`,
      );
    }
  }

  /** Records what `rel` is; refuses paths through links or files, and paths seen twice. */
  private claim(rel: string, kind: Kind, raw: string): void {
    const parts = rel.split('/');
    const name = parts.pop() ?? '';
    let node = this.seen;
    parts.forEach((part, i) => {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (next?.kind === 'symlink' || next?.kind === 'file') {
        const parent = parts.slice(0, i + 1).join('/');
        throw unsafe(raw, `goes through the ${next.kind === 'file' ? 'file' : 'symlink'} "${parent}"`);
      }
      if (!next) {
        if (++this.impliedDirs > MAX_IMPLIED_DIRS) {
          throw invalid(
            `its entries imply more than ${MAX_IMPLIED_DIRS} directories that it does not list (at "${shorten(raw)}")`,
          );
        }
        next = { kind: 'dir' };
        node.children.set(part, next);
      }
      node = next;
    });
    node.children ??= new Map();
    const known = node.children.get(name);
    if (known !== undefined && !(known.kind === 'dir' && kind === 'dir')) {
      throw unsafe(raw, 'appears more than once in the archive');
    }
    if (!known) node.children.set(name, { kind });
  }

  private kindOf(rel: string): Kind | undefined {
    let node: SeenNode | undefined = this.seen;
    for (const part of rel.split('/')) node = node?.children?.get(part);
    return node?.kind;
  }

  private async writeFile(entry: ReadEntry, rel: string, mode: number): Promise<void> {
    const file = this.absolute(rel);
    await this.makeDir(parentOf(rel).join('/'));
    // Refused meanwhile: the input is gone and this entry would never end.
    if (this.failure) return;
    // "wx": never open something that is already there, link or not.
    if (entry.size === 0) {
      await writeFile(file, '', { flag: 'wx', mode });
      entry.resume();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file, { flags: 'wx', mode });
      this.writers.add(out);
      out.once('error', reject);
      out.once('close', () => {
        this.writers.delete(out);
        resolve();
      });
      entry.pipe(out);
    });
  }

  /** mkdir -p, remembered: asking the file system again for every file is the slow part. */
  private makeDir(rel: string): Promise<void> {
    if (rel === '') return Promise.resolve();
    let made = this.dirs.get(rel);
    if (!made) {
      made = this.makeDir(parentOf(rel).join('/')).then(() =>
        mkdir(this.absolute(rel), { recursive: true, mode: 0o755 }).then(() => undefined),
      );
      this.dirs.set(rel, made);
    }
    return made;
  }

  private async createSymlinks(): Promise<void> {
    const links = linkTree(this.symlinks);
    for (const l of this.symlinks) {
      const landed = follow(parentOf(l.path), l.target, links, { hops: MAX_LINK_HOPS });
      if (landed === 'outside') {
        throw unsafe(
          l.raw,
          `is a symlink to "${l.target}", which leads outside the archive through other symlinks`,
        );
      }
      if (landed === 'loop') throw unsafe(l.raw, `is a symlink to "${l.target}", which loops`);
    }
    for (const l of this.symlinks) await symlink(l.target, this.absolute(l.path));
  }

  /**
   * Runs `step` when one of the write slots is free, in archive order. A step only ever waits
   * for earlier ones (its directory, a hard link's target), so the queue cannot deadlock; and
   * an entry waiting for a slot is not read, which holds back the parser and the gunzip.
   */
  private start(step: () => Promise<void>): Promise<void> {
    const op = (async () => {
      await this.slot();
      try {
        if (!this.failure) await step();
      } catch (err) {
        this.fail(err as Error);
      } finally {
        this.freeSlot();
      }
    })();
    this.inflight.add(op);
    void op.then(() => this.inflight.delete(op));
    return op;
  }

  private async slot(): Promise<void> {
    if (this.busy < PARALLEL_WRITES) {
      this.busy++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private freeSlot(): void {
    // The slot passes straight to the next step in line, keeping archive order.
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }

  private guard(judge: () => void): void {
    if (this.failure) return;
    try {
      judge();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.stopReading(err);
  }

  private absolute(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }
}

/** A path of the archive made relative to its root ('' for the root), or why it cannot be. */
function relativePath(raw: string): { rel: string } | { problem: string } {
  if (raw.includes('\0')) return { problem: 'contains a NUL byte' };
  if (raw.startsWith('/') || /^[A-Za-z]:\//.test(raw)) return { problem: 'is an absolute path' };
  // Forward slashes only: a backslash is a separator wherever the release might be read on Windows.
  if (raw.includes('\\')) return { problem: 'contains a backslash' };
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { problem: 'has a ".." component' };
  return { rel: parts.join('/') };
}

function checkSymlinkTarget(raw: string, rel: string, target: string): void {
  if (target.includes('\0')) throw unsafe(raw, 'is a symlink whose target contains a NUL byte');
  if (target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target)) {
    throw unsafe(raw, `is a symlink to the absolute path "${target}"`);
  }
  if (target.includes('\\')) throw unsafe(raw, `is a symlink to "${target}", which contains a backslash`);
  // The cheap check first, with the links known so far; createSymlinks repeats it with all of them.
  if (follow(parentOf(rel), target, {}, { hops: 0 }) === 'outside') {
    throw unsafe(raw, `is a symlink to "${target}", which points outside the archive`);
  }
}

/** The archive's symlinks as a tree of path parts: following a path looks each part up once. */
interface LinkNode {
  target?: string;
  children?: Map<string, LinkNode>;
}

function linkTree(links: ReadonlyArray<{ path: string; target: string }>): LinkNode {
  const root: LinkNode = {};
  for (const l of links) {
    let node = root;
    for (const part of l.path.split('/')) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) {
        next = {};
        node.children.set(part, next);
      }
      node = next;
    }
    node.target = l.target;
  }
  return root;
}

/**
 * Where `target`, read from directory `from`, lands in the tree, following the archive's own
 * symlinks the way the kernel would; 'outside' as soon as a ".." climbs above the root. The
 * tree nodes of the path so far are kept beside it, so each step costs one lookup, whatever
 * the depth.
 */
function follow(
  from: string[],
  target: string,
  links: LinkNode,
  budget: { hops: number },
): string[] | 'outside' | 'loop' {
  const at = [...from];
  const nodes = nodesOf(at, links);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return 'outside';
      at.pop();
      nodes.pop();
      continue;
    }
    const node = nodes[nodes.length - 1]?.children?.get(part);
    const next = node?.target;
    if (next === undefined) {
      at.push(part);
      nodes.push(node);
      continue;
    }
    if (budget.hops-- <= 0) return 'loop';
    const landed = follow(at, next, links, budget);
    if (typeof landed === 'string') return landed;
    at.splice(0, at.length, ...landed);
    nodes.splice(0, nodes.length, ...nodesOf(at, links));
  }
  return at;
}

/** The tree node of each prefix of `path`, the root's first. */
function nodesOf(path: readonly string[], links: LinkNode): Array<LinkNode | undefined> {
  const nodes: Array<LinkNode | undefined> = [links];
  for (const part of path) nodes.push(nodes[nodes.length - 1]?.children?.get(part));
  return nodes;
}

function parentOf(rel: string): string[] {
  return rel.split('/').slice(0, -1);
}

/** A name the file system cannot hold: the archive is not unsafe, only unpackable here. */
function tooLong(entry: string, why: string): BerthError {
  return new BerthError('invalid_archive', `archive entry "${shorten(entry)}" ${why}`, {
    hint: 'Rename the file or directory (or shorten the tree it sits in), then deploy again.',
    details: { entry: shorten(entry) },
  });
}

/** An entry name in a message: names can be a megabyte long in a PAX header. */
function shorten(entry: string): string {
  return entry.length > 200 ? `${entry.slice(0, 100)}...${entry.slice(-60)}` : entry;
}

function unsafe(entry: string, why: string): BerthError {
  return new BerthError('unsafe_archive', `archive entry "${shorten(entry)}" ${why}`, {
    details: { entry: shorten(entry) },
  });
}

function invalid(why: string): BerthError {
  return new BerthError('invalid_archive', `the artifact cannot be unpacked: ${why}`);
}

function tooLarge(message: string, details: Record<string, unknown>): BerthError {
  return new BerthError('archive_too_large', message, { details });
}
