// <home>/server.toml: `berth server`'s settings, for what should hold on every start (and on
// `berth server restart`, which starts the daemon again with it) without repeating flags:
//
//   proxy_tls = "127.0.0.1:8443"   # the TLS listener of the proxy
//
// Keys: api, proxy, proxy_tls, proxy_workers, domain, driver. A flag or BERTH_* variable wins
// over the file; the file over the defaults. Unknown keys are reported, never fatal.
import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { BerthError } from '../core/errors.js';

export interface ServerConfig {
  api?: string;
  proxy?: string;
  proxyTls?: string;
  proxyWorkers?: string;
  domain?: string;
  driver?: string;
}

const KEYS: Record<string, keyof ServerConfig> = {
  api: 'api',
  proxy: 'proxy',
  proxy_tls: 'proxyTls',
  proxy_workers: 'proxyWorkers',
  domain: 'domain',
  driver: 'driver',
};

/** The file's settings (none when it does not exist) and warnings about keys it does not know. */
export function readServerConfig(file: string): { config: ServerConfig; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { config: {}, warnings: [] };
    throw new BerthError('invalid_config', `cannot read ${file}: ${(err as Error).message}`);
  }
  let table: Record<string, unknown>;
  try {
    table = parse(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    throw new BerthError('invalid_config', `${file} is not valid TOML${where}`, {
      hint: 'Fix the file, e.g. `proxy_tls = "127.0.0.1:8443"`: one key = "value" per line.',
    });
  }
  const config: ServerConfig = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    const name = KEYS[key];
    if (!name) {
      warnings.push(`${file}: unknown key "${key}" ignored (known: ${Object.keys(KEYS).join(', ')})`);
      continue;
    }
    if (typeof value !== 'string' && !(key === 'proxy_workers' && typeof value === 'number')) {
      throw new BerthError('invalid_config', `${file}: ${key} must be a string, e.g. ${key} = "…"`, {
        hint: `Quote the value: ${key} = "${String(value)}".`,
      });
    }
    config[name] = String(value);
  }
  return { config, warnings };
}
