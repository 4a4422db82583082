// Packing a directory and uploading it as an artifact (unless the daemon has it already), as
// `berth deploy` does; used by `machine run --dir`.
import { rm } from 'node:fs/promises';
import type { BerthClient } from '../sdk/client.js';
import { appDirectory } from './app-directory.js';

export async function uploadDirectory(
  client: BerthClient,
  dir: string,
): Promise<{ digest: string; files: number; uploaded: boolean }> {
  appDirectory('.', dir, 'Pass --dir with the directory whose files the machine should run.');
  // Loaded here, not at start-up: every other `berth machine` command stays quick.
  const { packDirectory } = await import('../artifacts/pack.js');
  const packed = await packDirectory(dir);
  try {
    if (await client.hasArtifact(packed.digest))
      return { digest: packed.digest, files: packed.files, uploaded: false };
    await client.uploadArtifact(packed.digest, packed.path);
    return { digest: packed.digest, files: packed.files, uploaded: true };
  } finally {
    await rm(packed.path, { force: true });
  }
}
