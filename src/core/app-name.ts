// App names are DNS labels: they become <app>.<domain>.
import { BerthError } from './errors.js';

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidAppName(name: string): boolean {
  return DNS_LABEL.test(name);
}

export function assertAppName(name: string): void {
  if (!isValidAppName(name)) {
    throw new BerthError('invalid_app_name', `"${name}" is not a valid app name`);
  }
}

/** Turns a directory name into an app name, or undefined when nothing usable is left. */
export function appNameFromDirectory(dirName: string): string | undefined {
  const name = dirName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return isValidAppName(name) ? name : undefined;
}
