// The dashboard's files (built into dist/src/dashboard by `npm run build`), served at / and
// /dashboard/... of the API listener with a strict Content-Security-Policy: scripts, styles
// and requests from this origin only, nothing inline, no framing.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const DEFAULT_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

export class DashboardAssets {
  private files: Map<string, Asset> | undefined;

  constructor(private readonly dir = DEFAULT_DIR) {}

  /** Answers the request when it is for the dashboard (GET or HEAD of / or /dashboard/...). */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let name: string;
    if (pathname === '/') name = 'index.html';
    else if (pathname.startsWith('/dashboard/')) name = pathname.slice('/dashboard/'.length);
    else return false;
    const asset = this.load().get(name);
    if (!asset) return false;
    const headers = {
      'content-type': asset.type,
      etag: asset.etag,
      // Revalidated each time: a daemon upgrade changes the files under the same names.
      'cache-control': 'no-cache',
      'content-security-policy': DASHBOARD_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  /** Every servable file, read once (they are small and change only with the daemon). */
  private load(): Map<string, Asset> {
    if (this.files) return this.files;
    const files = new Map<string, Asset>();
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        const type = TYPES[extname(entry.name)];
        if (!entry.isFile() || type === undefined) continue;
        const body = readFileSync(path);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        files.set(relative(this.dir, path).split(sep).join('/'), { body, type, etag });
      }
    };
    walk(this.dir);
    this.files = files;
    return files;
  }
}
