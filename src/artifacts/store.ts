// The daemon's artifact store: uploaded archives kept by the sha256 of their bytes, so a
// deploy of an unchanged tree uploads nothing and a release can always find its source.
// Layout: <dir>/sha256/<hex>.tar.gz, written through a temporary file in the same directory
// and renamed into place, so a reader never sees half an artifact.

import { createHash, randomUUID } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import type { WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../core/errors.js';

export interface StoredArtifact {
  digest: string;
  size: number;
  mtime: Date;
}

export interface PutResult {
  digest: string;
  size: number;
  /** False when the store already had it (the body was read and discarded). */
  created: boolean;
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;
const STORED_NAME = /^([0-9a-f]{64})\.tar\.gz$/;
const TEMP_PREFIX = '.upload-';
// Uploads left behind by a daemon that died mid-upload; no live upload is this old.
const STALE_UPLOAD_MS = 60 * 60 * 1000;

export class ArtifactStore {
  private readonly shaDir: string;
  private readonly maxBytes: number;

  constructor(dir: string, opts: { maxBytes: number }) {
    this.shaDir = path.join(dir, 'sha256');
    this.maxBytes = opts.maxBytes;
    mkdirSync(this.shaDir, { recursive: true });
    this.sweepStaleUploads();
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /** Where the artifact is (or would be) stored; throws on a malformed digest. */
  path(digest: string): string {
    return path.join(this.shaDir, `${hexOf(digest)}.tar.gz`);
  }

  /**
   * Stores `body` under `digest` after checking that its bytes hash to it. A body longer than
   * maxBytes is refused as soon as it passes the limit and is read no further; the caller
   * owns the stream and decides whether to close the connection.
   */
  async put(digest: string, body: Readable): Promise<PutResult> {
    const hex = hexOf(digest);
    const file = this.path(digest);
    if (existsSync(file)) {
      await this.receive(body, undefined);
      // A fresh upload of an artifact counts as a use of it when pruning.
      const now = new Date();
      utimesSync(file, now, now);
      return { digest, size: statSync(file).size, created: false };
    }
    const temp = path.join(this.shaDir, `${TEMP_PREFIX}${randomUUID()}`);
    const hash = createHash('sha256');
    let size: number;
    try {
      size = await this.receive(body, { out: createWriteStream(temp, { flags: 'wx' }), hash });
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    const actual = hash.digest('hex');
    if (actual !== hex) {
      await rm(temp, { force: true });
      throw new BerthError('digest_mismatch', `the upload hashes to sha256:${actual}, not ${digest}`, {
        details: { expected: digest, actual: `sha256:${actual}` },
      });
    }
    await rename(temp, file);
    return { digest, size, created: true };
  }

  list(): StoredArtifact[] {
    const out: StoredArtifact[] = [];
    for (const name of readdirSync(this.shaDir).sort()) {
      const hex = STORED_NAME.exec(name)?.[1];
      if (!hex) continue;
      const stat = statSync(path.join(this.shaDir, name), { throwIfNoEntry: false });
      if (stat) out.push({ digest: `sha256:${hex}`, size: stat.size, mtime: stat.mtime });
    }
    return out;
  }

  /** Deletes an artifact; false when it was not there. */
  remove(digest: string): boolean {
    try {
      unlinkSync(this.path(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Reads `body` to its end, into `sink` if given; resolves with its length once written. */
  private receive(
    body: Readable,
    sink: { out: WriteStream; hash: ReturnType<typeof createHash> } | undefined,
  ) {
    return new Promise<number>((resolve, reject) => {
      let size = 0;
      let stopped = false;
      const detach = () => {
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', stop);
        body.off('close', onClose);
      };
      const stop = (err: Error) => {
        if (stopped) return;
        stopped = true;
        detach();
        body.pause();
        // The stream is the caller's now; a late error on it must not crash the daemon.
        body.on('error', () => {});
        sink?.out.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxBytes) {
          stop(
            new BerthError(
              'archive_too_large',
              `the upload is larger than the limit of ${this.maxBytes} bytes`,
              {
                details: { limit: this.maxBytes, received: size },
              },
            ),
          );
          return;
        }
        if (!sink) return;
        sink.hash.update(chunk);
        if (!sink.out.write(chunk)) {
          body.pause();
          sink.out.once('drain', () => stopped || body.resume());
        }
      };
      const onEnd = () => {
        detach();
        if (!sink) return resolve(size);
        sink.out.end();
        sink.out.once('close', () => resolve(size));
      };
      // 'close' before 'end': the client went away mid-upload.
      const onClose = () =>
        stop(new BerthError('invalid_request', 'the upload was interrupted before its end'));

      if (body.readableEnded) {
        stop(new BerthError('invalid_request', 'the upload body was already read'));
        return;
      }
      sink?.out.once('error', stop);
      body.on('data', onData);
      body.once('end', onEnd);
      body.once('error', stop);
      body.once('close', onClose);
    });
  }

  private sweepStaleUploads(): void {
    const cutoff = Date.now() - STALE_UPLOAD_MS;
    for (const name of readdirSync(this.shaDir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const file = path.join(this.shaDir, name);
      const stat = statSync(file, { throwIfNoEntry: false });
      if (stat && stat.mtimeMs < cutoff) rmSyncQuiet(file);
    }
  }
}

function hexOf(digest: string): string {
  const hex = DIGEST.exec(digest)?.[1];
  if (!hex) {
    throw new BerthError('invalid_request', `"${digest}" is not an artifact digest`, {
      hint: 'An artifact digest is "sha256:" followed by 64 lowercase hex digits.',
    });
  }
  return hex;
}

function rmSyncQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Another daemon process swept it first; either way it is gone.
  }
}
