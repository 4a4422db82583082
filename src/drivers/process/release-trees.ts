// The process driver's prepared releases: each release's artifact unpacked into a tree of its
// own under <home>/releases/<app>/v<N>/ and built there by its `[build] command`, in the
// sandbox of the app's machines. A `machine run --dir` tree is unpacked once per digest under
// <home>/machine-trees/<app>/ and not built. Machines get a copy of the tree on every start.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { unpackArchive } from '../../artifacts/unpack.js';
import { resolveCommands } from '../../core/config/commands.js';
import type { AppConfig } from '../../core/config/types.js';
import { BerthError } from '../../core/errors.js';
import type { PreparedRelease, PrepareRequest } from '../driver.js';
import type { BuildLaunch } from './build-launch.js';
import { withHostBase } from './host-env.js';
import { runBuild } from './run-build.js';

export interface ReleaseTreeDirs {
  releasesDir: string;
  oneOffDir: string;
}

export async function prepareTree(
  dirs: ReleaseTreeDirs,
  request: PrepareRequest,
  launchFor: (dir: string, command: string) => Promise<BuildLaunch>,
  ownUser: boolean,
): Promise<PreparedRelease> {
  if (request.oneOff) return { driver: 'process', dir: await unpackOnce(dirs, request) };
  for (const [key, value] of [
    ['image', request.build.image],
    ['dockerfile', request.build.dockerfile],
  ] as const) {
    if (value) {
      request.onProgress({
        kind: 'note',
        line: `the process driver runs the uploaded directory; [build] ${key} = "${value}" is not used`,
      });
    }
  }
  const dir = join(dirs.releasesDir, request.app, `v${request.releaseVersion}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, '..'), { recursive: true });
  const unpacked = await unpackArchive(request.artifactPath, dir, { maxBytes: request.maxUnpackedBytes });
  request.onProgress({
    kind: 'step',
    line: `unpacked ${request.artifactDigest.slice(0, 19)} (${unpacked.files} files)`,
  });
  const command = request.build.command;
  if (!command) return { driver: 'process', dir };
  request.onProgress({ kind: 'step', line: `building: ${command}` });
  const env = withHostBase(request.env, { ownUser });
  const launch = await launchFor(dir, command);
  // Said on every build that does not run as the app's own user: it is a security fact.
  if (launch.note) request.onProgress({ kind: 'note', line: launch.note });
  const result = await runBuild({
    command,
    launch,
    cwd: dir,
    env,
    timeoutMs: request.timeoutMs,
    onLine: (stream, line) => request.onProgress({ kind: 'output', line, stream }),
  });
  if (!result.ok) {
    const why = result.timedOut ? 'timed out' : `exited with code ${result.exitCode ?? result.signal}`;
    throw new BerthError('build_failed', `build command "${command}" ${why}`);
  }
  request.onProgress({ kind: 'step', line: `build finished in ${(result.durationMs / 1000).toFixed(1)}s` });
  return { driver: 'process', dir };
}

/** A `machine run --dir` tree: unpacked once per digest, shared by the app's machines that run it. */
async function unpackOnce(dirs: ReleaseTreeDirs, request: PrepareRequest): Promise<string> {
  const dir = join(dirs.oneOffDir, request.app, request.artifactDigest.replace(/^sha256:/, ''));
  if (existsSync(dir)) return dir;
  await mkdir(join(dir, '..'), { recursive: true });
  const scratch = `${dir}.unpacking-${randomBytes(4).toString('hex')}`;
  try {
    await unpackArchive(request.artifactPath, scratch, { maxBytes: request.maxUnpackedBytes });
    // Another run of the same digest may have finished first; either tree is the same.
    if (!existsSync(dir)) await rename(scratch, dir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** Removes the app's release and `machine run` trees that are not kept. */
export async function pruneTrees(dirs: ReleaseTreeDirs, app: string, keep: PreparedRelease[]): Promise<void> {
  const kept = new Set(keep.flatMap((p) => (p.driver === 'process' ? [resolve(p.dir)] : [])));
  for (const parent of [join(dirs.releasesDir, app), join(dirs.oneOffDir, app)]) {
    let entries: string[];
    try {
      entries = await readdir(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const dir = resolve(parent, entry);
      // A tree being unpacked for a `machine run` is in no list yet.
      if (!kept.has(dir) && !entry.includes('.unpacking-')) await rm(dir, { recursive: true, force: true });
    }
    if ((await readdir(parent)).length === 0) await rm(parent, { recursive: true, force: true });
  }
}

/** Group name -> command for a config without [processes]: the tree's Procfile, else npm start. */
export function commandsInTree(config: AppConfig, dir: string): Record<string, string> {
  const read = (name: string) =>
    existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined;
  const resolved = resolveCommands(config, { procfile: read('Procfile'), packageJson: read('package.json') });
  if ('error' in resolved) throw resolved.error;
  return resolved.commands;
}
