// The build context sent to the Engine: the uploaded artifact, unpacked to a plain tar, without
// what its .dockerignore excludes. The Engine's classic builder reads no .dockerignore itself
// (the docker CLI filters before sending), and `berth deploy` packs with the same rules, so
// this matters for artifacts uploaded some other way. Dockerfile and .dockerignore are always
// sent, as the docker CLI sends them.
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Pack, Parser, type ReadEntry } from 'tar';
import { DockerignoreRules } from '../../artifacts/ignore-rules.js';

export class ContextTooLarge extends Error {}

/** A tar stream of the artifact as `docker build` would send it; fails with ContextTooLarge past maxBytes. */
export async function buildContext(
  artifactPath: string,
  options: { dockerfile: string; maxBytes: number },
): Promise<Readable> {
  const dockerignore = await readDockerignore(artifactPath);
  const limit = new ByteLimit(options.maxBytes);
  const tar = createReadStream(artifactPath).pipe(createGunzip());
  if (dockerignore === undefined) return forward(tar, limit);

  const rules = new DockerignoreRules(dockerignore);
  const always = new Set(['.dockerignore', cleanPath(options.dockerfile)]);
  const pack = new Pack({ portable: true, noDirRecurse: true });
  const parser = new Parser();
  parser.on('entry', (entry: ReadEntry) => {
    const rel = cleanPath(entry.path);
    if (rel === '' || always.has(rel) || !rules.ignores(rel, entry.type === 'Directory')) pack.add(entry);
    else entry.resume();
  });
  parser.on('end', () => pack.end());
  tar.on('error', (err) => limit.destroy(err));
  tar.pipe(parser);
  return forward(pack as unknown as Readable, limit);
}

function forward(from: Readable, to: ByteLimit): Readable {
  from.on('error', (err) => to.destroy(err));
  return from.pipe(to);
}

/** The artifact's root .dockerignore, read in a first pass over it. */
async function readDockerignore(artifactPath: string): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let found = false;
  const parser = new Parser({
    filter: (path) => cleanPath(path) === '.dockerignore',
    onReadEntry: (entry) => {
      found = true;
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    },
  });
  const source = createReadStream(artifactPath).pipe(createGunzip());
  await new Promise<void>((resolve, reject) => {
    source.on('error', reject);
    parser.on('error', reject);
    parser.on('end', () => resolve());
    source.pipe(parser);
  });
  return found ? Buffer.concat(chunks).toString('utf8') : undefined;
}

function cleanPath(path: string): string {
  return path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** Passes bytes through until more than `max` have gone by, then fails the stream. */
class ByteLimit extends Transform {
  private bytes = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      callback(new ContextTooLarge(`the build context is more than ${this.max} bytes`));
      return;
    }
    callback(null, chunk);
  }
}
