// Hostnames a user adds to an app (`berth certs add HOST`): one fully qualified DNS name,
// routed by exact match. Pure: the caller decides what a problem means (a 400 for the API).
import { ipVersion } from './ip-literal.js';

export type HostnameCheck = { ok: true; host: string } | { ok: false; problem: string; hint: string };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Normalizes (trims, lower-cases, drops one trailing dot) and checks a hostname: at least two
 * labels, each 1-63 letters, digits or inner dashes, 253 characters at most. Wildcards,
 * IP addresses, ports and URLs are refused with a hint naming what to do instead.
 */
export function checkHostname(input: string): HostnameCheck {
  let host = input.trim().toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return bad('the hostname is empty', 'Give a name such as www.example.com.');
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(host)) {
    return bad(`"${input}" is a URL, not a hostname`, 'Give only the host part, e.g. www.example.com.');
  }
  if (ipVersion(host.replace(/^\[|\]$/g, '')) !== 0) {
    return bad(
      `"${input}" is an IP address, not a hostname`,
      'Use `berth ips allocate ADDR[:PORT]` to give an app its own address.',
    );
  }
  if (host.includes(':')) {
    return bad(`"${input}" has a port; hostnames are served on every proxy port`, 'Drop the ":PORT" part.');
  }
  if (host.startsWith('*.')) {
    return bad(
      `"${input}" is a wildcard; berth routes exact hostnames only`,
      'Add each hostname you need, e.g. `berth certs add www.example.com`.',
    );
  }
  if (host.length > 253) return bad('the hostname is longer than 253 characters', 'Use a shorter name.');
  const labels = host.split('.');
  if (labels.length < 2) {
    return bad(
      `"${input}" is a single label; a hostname needs a domain`,
      'Use a fully qualified name such as www.example.com or shop.localhost.',
    );
  }
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return bad(
        `"${input}" has an invalid label "${label}"`,
        'Each dot-separated part takes 1-63 letters, digits and dashes, and cannot start or end with a dash.',
      );
    }
  }
  return { ok: true, host };
}

function bad(problem: string, hint: string): HostnameCheck {
  return { ok: false, problem, hint };
}

/**
 * The app a hostname already answers for as `<app>.<domain>`, if it has that form: adding it
 * to another app would take that app's address.
 */
export function defaultHostOwner(host: string, domain: string): string | undefined {
  const suffix = '.' + domain.toLowerCase();
  if (!host.endsWith(suffix)) return undefined;
  const label = host.slice(0, host.length - suffix.length);
  return label.includes('.') || label === '' ? undefined : label;
}
