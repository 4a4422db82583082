// Where force_https sends a plain-HTTP request: the same host and path on the TLS listener.
// GET and HEAD get 301 (clients may turn other methods into GET after a 301); every other
// method gets 308, which keeps the method and body.

import type { AppConfig } from '../config/types.js';

export interface HttpsRedirect {
  status: 301 | 308;
  location: string;
}

/**
 * `hostHeader` as the client sent it (its port, if any, is replaced by `tlsPort`; 443 is
 * left implicit). `url` is the request target: a path with query, or an absolute URI.
 */
export function httpsRedirect(
  method: string,
  hostHeader: string,
  url: string,
  tlsPort: number,
): HttpsRedirect {
  const status = method === 'GET' || method === 'HEAD' ? 301 : 308;
  let host = hostHeader.trim();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end !== -1) host = host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) host = host.slice(0, colon);
  }
  let path = url;
  if (!path.startsWith('/')) {
    // Absolute-form target (`http://host/path`): keep only its path and query.
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(path);
    path = match ? match[1]! : '/' + path;
    if (path === '' || !path.startsWith('/')) path = '/' + path;
  }
  const port = tlsPort === 443 ? '' : `:${tlsPort}`;
  return { status, location: `https://${host}${port}${path}` };
}

/** Whether the app asks for HTTPS only: [http_service] force_https, or an "http" port with it. */
export function wantsForceHttps(config: AppConfig): boolean {
  if (config.httpService?.forceHttps) return true;
  return config.services.some((s) => s.ports.some((p) => p.forceHttps && p.handlers.includes('http')));
}
