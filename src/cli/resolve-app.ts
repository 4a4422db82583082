// Which app a command means: -a NAME, else the `app` of the config in the current directory.
// Only that key is read (TOML parsed, the name checked as the config loader checks it), not the
// whole config through its normalizer: every read command resolves its app at start-up, and
// loading the normalizer would cost each of them more than the rest of its start (bench/cli).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { isValidAppName } from '../core/app-name.js';
import { BerthError } from '../core/errors.js';

export function resolveAppName(cwd: string, flag: string | undefined, configFlag?: string): string {
  if (flag) return flag;
  const candidates = configFlag ? [configFlag] : ['berth.toml', 'fly.toml'];
  for (const name of candidates) {
    const file = join(cwd, name);
    if (!existsSync(file)) continue;
    const app = appKey(readFileSync(file, 'utf8'));
    if (app) return app;
  }
  throw new BerthError('no_app_name', 'which app? none was named and no berth.toml here names one');
}

/** The file's `app`, when it is a valid app name; undefined as well for a file that does not parse. */
function appKey(text: string): string | undefined {
  try {
    const value = (parse(text) as { app?: unknown }).app;
    const name = typeof value === 'string' ? value.trim() : '';
    return isValidAppName(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
