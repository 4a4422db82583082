// `berth ips allocate|release [ADDR][:PORT]`: an IP address and/or a port, either may be left
// out. IPv6 addresses take brackets when a port follows: `[::1]:9000`.
import { ipVersion } from './ip-literal.js';

export type AddressArg =
  { ok: true; address?: string; port?: number } | { ok: false; problem: string; hint: string };

const HINT = 'Write ADDR, ADDR:PORT or :PORT, e.g. 127.0.0.2, 127.0.0.1:9000, :9000 or [::1]:9000.';

export function parseAddressArg(text: string): AddressArg {
  const value = text.trim();
  if (value === '') return { ok: true };
  let address: string | undefined;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    address = bracketed[1];
    portText = bracketed[2];
  } else if (ipVersion(value) === 6) {
    address = value;
  } else {
    const colon = value.lastIndexOf(':');
    if (colon === -1) address = value;
    else {
      address = value.slice(0, colon) || undefined;
      portText = value.slice(colon + 1);
    }
  }
  if (address !== undefined && ipVersion(address) === 0) {
    return { ok: false, problem: `"${address}" is not an IP address`, hint: HINT };
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      return { ok: false, problem: `"${portText}" is not a port (1-65535)`, hint: HINT };
    }
  }
  return { ok: true, ...(address !== undefined && { address }), ...(port !== undefined && { port }) };
}

/** `127.0.0.1:9000`, `[::1]:9000`. */
export function formatAddress(address: string, port: number): string {
  return ipVersion(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
