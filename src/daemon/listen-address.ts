// HOST:PORT arguments of `berth server`.
import { BerthError } from '../core/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(text: string, flag: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new BerthError('invalid_request', `${flag} "${text}" is not HOST:PORT`, {
      hint: `Use e.g. ${flag} 127.0.0.1:4680, or port 0 to pick a free port.`,
    });
  }
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

export function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
