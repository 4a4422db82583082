// Packing a directory and uploading it as an artifact, unless the daemon has it already: what
// a deploy and `machine run --dir` send. The same tree always packs to the same digest.
import { rm } from 'node:fs/promises';
import type { BerthClient } from './client.js';

export interface UploadedDirectory {
  /** "sha256:<hex>" of the packed archive: the artifact to deploy or run. */
  digest: string;
  /** Regular files and symlinks packed. */
  files: number;
  /** Bytes of the compressed archive. */
  size: number;
  /** false: the daemon had this artifact already, so nothing was sent. */
  uploaded: boolean;
}

/** Packs `dir` (honouring .dockerignore, else .gitignore) and uploads it when the daemon lacks it. */
export async function uploadDirectory(
  client: BerthClient,
  dir: string,
  onPacked: (packed: Omit<UploadedDirectory, 'uploaded'>) => void = () => {},
): Promise<UploadedDirectory> {
  // Loaded on first use: the packer (and tar) are not needed for any other call.
  const { packDirectory } = await import('../artifacts/pack.js');
  const packed = await packDirectory(dir);
  try {
    const facts = { digest: packed.digest, files: packed.files, size: packed.size };
    onPacked(facts);
    if (await client.hasArtifact(packed.digest)) return { ...facts, uploaded: false };
    await client.uploadArtifact(packed.digest, packed.path);
    return { ...facts, uploaded: true };
  } finally {
    await rm(packed.path, { force: true });
  }
}
