// Whether an uploaded artifact has a regular file of a given name at its root (a Dockerfile
// makes a deploy choose the docker driver). Reads the archive's headers; writes nothing.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

export function hasRootFile(archivePath: string, name: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const input = createReadStream(archivePath);
    const gunzip = createGunzip();
    const parser = new Parser({ strict: false, brotli: false, zstd: false });
    let found = false;
    const done = (value: boolean) => {
      input.destroy();
      gunzip.destroy();
      resolve(value);
    };
    parser.on('entry', (entry: ReadEntry) => {
      if (entry.path.replace(/^(\.\/)+/, '') === name && entry.type === 'File') found = true;
      entry.resume();
      if (found) done(true);
    });
    parser.on('end', () => done(found));
    input.on('error', reject);
    gunzip.on('error', reject);
    input.pipe(gunzip).pipe(parser);
  });
}
