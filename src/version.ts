// berth's version, from package.json (dist/src/version.js sits two levels below it).
import { readFileSync } from 'node:fs';

export const BERTH_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
