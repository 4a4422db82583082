// The tree a `machine run --dir` machine runs: an uploaded artifact unpacked once under the
// daemon's home, keyed by digest. The driver copies it into each machine like a release tree.
import { join } from 'node:path';
import type { HomeLayout } from './home.js';

export function machineTreeDir(layout: HomeLayout, artifactDigest: string): string {
  return join(layout.root, 'machine-trees', artifactDigest.replace(/^sha256:/, ''));
}
