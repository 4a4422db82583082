// The process groups of a release and what each runs, read from its unpacked tree the same
// way a deploy reads them ([processes], else Procfile, else npm start).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCommands } from '../core/config/commands.js';
import type { Release } from '../core/model.js';
import { releaseDir, type HomeLayout } from './home.js';

export function releaseCommands(layout: HomeLayout, release: Release): Record<string, string> {
  const dir = releaseDir(layout, release.app, release.version);
  const read = (name: string) =>
    existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined;
  const resolved = resolveCommands(release.config, {
    procfile: read('Procfile'),
    packageJson: read('package.json'),
  });
  if ('error' in resolved) throw resolved.error;
  return resolved.commands;
}
