// Packs an app directory into a gzip tar whose bytes depend only on the tree's names, contents,
// executable bits and link targets: the same tree always has the same sha256, so the daemon,
// which stores artifacts by digest, is sent it only once.

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Header, Pax, type HeaderData } from 'tar';
import { BerthError } from '../core/errors.js';
import { selectFiles, type IgnoreSource, type PackEntry } from './ignore-rules.js';

export interface PackedArchive {
  /** A temporary file; the caller uploads it and removes it. */
  path: string;
  /** "sha256:<hex>" of the file's bytes. */
  digest: string;
  /** Bytes of the compressed archive. */
  size: number;
  /** Regular files and symlinks packed. */
  files: number;
  /** Which ignore file decided what was left out. */
  ignoreFile: IgnoreSource;
}

// Not 0: some tools (zip, and so Python wheels) refuse timestamps before 1980.
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');
// zlib writes the OS it was built for into the gzip header; pin it so every client agrees.
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNIX = 3;
const BLOCK = 512;

export async function packDirectory(dir: string): Promise<PackedArchive> {
  const { source, entries } = await selectFiles(dir);
  const file = path.join(os.tmpdir(), `berth-artifact-${randomUUID()}.tar.gz`);
  const hash = createHash('sha256');
  let size = 0;

  async function* digestAndPinHeader(gzipped: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of gzipped) {
      if (size <= GZIP_OS_BYTE && size + chunk.length > GZIP_OS_BYTE) {
        chunk[GZIP_OS_BYTE - size] = GZIP_OS_UNIX;
      }
      size += chunk.length;
      hash.update(chunk);
      yield chunk;
    }
  }

  try {
    await pipeline(
      Readable.from(tarBlocks(entries)),
      createGzip(),
      digestAndPinHeader,
      createWriteStream(file, { flags: 'wx' }),
    );
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  const files = entries.filter((e) => e.type !== 'dir').length;
  return { path: file, digest: `sha256:${hash.digest('hex')}`, size, files, ignoreFile: source };
}

async function* tarBlocks(entries: PackEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const stat = await lstatEntry(entry);
    if (entry.type === 'dir') {
      yield header({ path: `${entry.path}/`, type: 'Directory', mode: 0o755, size: 0 });
    } else if (entry.type === 'symlink') {
      // Packed as it is; whether its target is acceptable is for unpack to decide.
      const linkpath = await readlink(entry.absolute);
      yield header({ path: entry.path, type: 'SymbolicLink', mode: 0o777, size: 0, linkpath });
    } else {
      // Only the executable bit survives: umask and group bits differ between machines.
      const mode = stat.mode & 0o111 ? 0o755 : 0o644;
      yield header({ path: entry.path, type: 'File', mode, size: stat.size });
      yield* fileBody(entry, stat.size);
    }
  }
  // Two zero blocks end a tar archive.
  yield Buffer.alloc(2 * BLOCK);
}

async function lstatEntry(entry: PackEntry): Promise<Stats> {
  let stat: Stats;
  try {
    stat = await lstat(entry.absolute);
  } catch (err) {
    throw changedWhilePacking(entry.path, (err as Error).message);
  }
  const actual = stat.isDirectory()
    ? 'dir'
    : stat.isSymbolicLink()
      ? 'symlink'
      : stat.isFile()
        ? 'file'
        : '?';
  if (actual !== entry.type) throw changedWhilePacking(entry.path, `it is no longer a ${entry.type}`);
  return stat;
}

async function* fileBody(entry: PackEntry, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  if (size > 0) {
    // Read no more than the header announced, even if the file grows meanwhile.
    for await (const chunk of createReadStream(entry.absolute, { start: 0, end: size - 1 })) {
      read += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  if (read !== size) throw changedWhilePacking(entry.path, `it shrank from ${size} to ${read} bytes`);
  if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
}

/** A ustar header with nothing machine-specific in it; a PAX record first when names need it. */
function header(fields: Pick<HeaderData, 'path' | 'type' | 'mode' | 'size' | 'linkpath'>): Buffer {
  const block = Buffer.alloc(BLOCK);
  const needsPax = new Header({ ...fields, uid: 0, gid: 0, uname: '', gname: '', mtime: FIXED_MTIME }).encode(
    block,
  );
  if (!needsPax) return block;
  // Long or non-ASCII names do not fit ustar fields; a PAX record carries them exactly.
  const pax = new Pax({ path: fields.path, linkpath: fields.linkpath }).encode();
  return Buffer.concat([pax, block]);
}

function changedWhilePacking(rel: string, why: string): BerthError {
  return new BerthError('invalid_request', `${rel} changed while it was being packed: ${why}`, {
    hint: 'Stop whatever is writing to the directory (a dev server, a build), or exclude the file in .dockerignore, then deploy again.',
  });
}
