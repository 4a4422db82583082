// Judging an upload before it is accepted: a trial unpack into a scratch directory applies
// every refusal rule (traversal, links leading out, size), so a bad archive is turned away
// with a 4xx at upload time rather than failing a release later.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from './store.js';
import { unpackArchive } from './unpack.js';

export async function verifyUpload(
  store: ArtifactStore,
  digest: string,
  options: { maxUnpackedBytes: number; scratchDir: string },
): Promise<void> {
  const scratch = await mkdtemp(join(options.scratchDir, '.verify-'));
  try {
    await unpackArchive(store.path(digest), join(scratch, 'tree'), { maxBytes: options.maxUnpackedBytes });
  } catch (err) {
    await store.remove(digest);
    throw err;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
