// The process groups of a release and what each runs, read from its unpacked tree the same
// way every time ([processes], else Procfile, else npm start): deploys, scaling and
// `machine run` must agree on them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCommands } from '../core/config/commands.js';
import type { AppConfig } from '../core/config/types.js';
import type { Release } from '../core/model.js';
import { releaseDir, type HomeLayout } from './home.js';

/** Group name -> command for a config and the tree it was built into. */
export function commandsInTree(config: AppConfig, dir: string): Record<string, string> {
  const read = (name: string) =>
    existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined;
  const resolved = resolveCommands(config, {
    procfile: read('Procfile'),
    packageJson: read('package.json'),
  });
  if ('error' in resolved) throw resolved.error;
  return resolved.commands;
}

export function releaseCommands(layout: HomeLayout, release: Release): Record<string, string> {
  return commandsInTree(release.config, releaseDir(layout, release.app, release.version));
}
