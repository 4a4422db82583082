// Base images for Docker tests, made offline: `node:20-slim` is an import of a minimal root file
// system holding this host's node binary, /bin/sh and the libraries ldd lists for them, so
// Dockerfiles that start FROM it build unchanged with no registry. Used only when the Engine
// has no such image yet (CI's own dockerd may already have made it).
import { execFileSync } from 'node:child_process';
import { create as createTar } from 'tar';
import type Docker from 'dockerode';

export async function ensureNodeBaseImage(docker: Docker, name = 'node:20-slim'): Promise<void> {
  try {
    await docker.getImage(name).inspect();
    return;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const programs = [process.execPath, '/bin/sh'];
  const files = new Set<string>();
  for (const program of programs) {
    files.add(program);
    for (const line of execFileSync('ldd', [program], { encoding: 'utf8' }).split('\n')) {
      const lib = /(\/\S+) \(0x/.exec(line)?.[1];
      if (lib) files.add(lib);
    }
  }
  // follow: the symlinks (/bin/sh -> dash, lib -> usr/lib) are stored as the files they name.
  const tar = createTar(
    { cwd: '/', follow: true, portable: true },
    [...files].map((f) => f.slice(1)),
  );
  const [repo, tag] = name.split(':') as [string, string];
  const stream = await docker.importImage(
    tar as unknown as NodeJS.ReadableStream,
    {
      repo,
      tag,
      changes: [`ENV PATH=/usr/local/bin:/usr/bin:/bin`],
    } as object,
  );
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}
