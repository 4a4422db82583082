// Finding the app or release a path names, or the error that explains why not.
import { BerthError } from '../core/errors.js';
import type { App, Release } from '../core/model.js';
import type { Store } from '../store/store.js';

export function requireApp(store: Store, name: string): App {
  const app = store.apps.get(name);
  if (!app) throw new BerthError('app_not_found', `app "${name}" does not exist`);
  return app;
}

export function parseVersion(text: string): number {
  const match = /^v?(\d{1,15})$/.exec(text);
  if (!match) {
    throw new BerthError('invalid_request', `"${text}" is not a release version`, {
      hint: 'Use a number like 3 or v3.',
    });
  }
  return Number(match[1]);
}

export function requireRelease(store: Store, app: string, versionText: string): Release {
  const version = parseVersion(versionText);
  const release = store.releases.get(app, version);
  if (!release) throw new BerthError('release_not_found', `app "${app}" has no release v${version}`);
  return release;
}
