// Address ranges in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a bare address), as the proxy's
// trusted-proxies list takes them. Parsed and judged here; the proxy matches peers against them.
import { ipVersion } from './ip-literal.js';

export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

export type CidrList = { ok: true; cidrs: Cidr[] } | { ok: false; problem: string; hint: string };

const HINT = 'Give addresses or CIDR ranges separated by commas, e.g. 10.0.0.0/8,192.168.1.10,fd00::/8.';

/** A comma- or space-separated list; an empty text is an empty list. */
export function parseCidrList(text: string): CidrList {
  const cidrs: Cidr[] = [];
  for (const item of text.split(/[\s,]+/)) {
    if (item === '') continue;
    const slash = item.indexOf('/');
    const address = slash === -1 ? item : item.slice(0, slash);
    const family = ipVersion(address);
    if (family === 0)
      return { ok: false, problem: `"${item}" is not an IP address or CIDR range`, hint: HINT };
    const max = family === 4 ? 32 : 128;
    let prefix = max;
    if (slash !== -1) {
      const bits = item.slice(slash + 1);
      prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (!(prefix >= 0 && prefix <= max)) {
        return { ok: false, problem: `"${item}" has a prefix length outside 0-${max}`, hint: HINT };
      }
    }
    cidrs.push({ address, prefix, family });
  }
  return { ok: true, cidrs };
}
