// Which app a command means: -a NAME, else the `app` of the config in the current directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { BerthError } from '../core/errors.js';

export function resolveAppName(cwd: string, flag: string | undefined, configFlag?: string): string {
  if (flag) return flag;
  const candidates = configFlag ? [configFlag] : ['berth.toml', 'fly.toml'];
  for (const name of candidates) {
    const file = join(cwd, name);
    if (!existsSync(file)) continue;
    const app = loadConfigFile(file).config?.app;
    if (app) return app;
  }
  throw new BerthError('no_app_name', 'which app? none was named and no berth.toml here names one');
}
