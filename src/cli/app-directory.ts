// The directory a command works on (deploy's DIR, config validate's, machine run --dir): it
// must exist and be a directory, said before anything else is looked for in it.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../core/errors.js';

/** The absolute path of `dirArg` (relative to `cwd`); a coded error naming it when it is no directory. */
export function appDirectory(cwd: string, dirArg: string, hint: string): string {
  const dir = resolve(cwd, dirArg);
  const stat = statSync(dir, { throwIfNoEntry: false });
  const shown = dir === dirArg ? dir : `${dirArg} (${dir})`;
  if (!stat) throw new BerthError('invalid_request', `directory ${shown} does not exist`, { hint });
  if (!stat.isDirectory()) throw new BerthError('invalid_request', `${shown} is not a directory`, { hint });
  return dir;
}
