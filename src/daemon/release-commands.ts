// The process groups of a release and what each runs, read from its unpacked tree the same
// way every time ([processes], else Procfile, else npm start): deploys, scaling and
// `machine run` must agree on them. This is the process driver's reading: an empty command
// (the image's CMD) is refused.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyCommandError, resolveCommands } from '../core/config/commands.js';
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
  // Refused here, before a deploy changes anything, as well as by the driver's start.
  const empty = emptyCommandError(resolved.commands);
  if (empty) throw empty;
  return resolved.commands;
}

export function releaseCommands(layout: HomeLayout, release: Release): Record<string, string> {
  return commandsInTree(release.config, releaseDir(layout, release.app, release.version));
}
