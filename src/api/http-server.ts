// The API's HTTP server: authenticate, validate, dispatch, and map every error to its status
// in this one place.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BerthError, isBerthError, toErrorBody } from '../core/errors.js';
import { MAX_HEADER_BYTES, refuseUnparsedRequests, requestUrl } from './http-refusals.js';
import { readJsonBody, Router, STREAMED, validateBody } from './router.js';
import { runAs } from '../store/actor.js';
import { acceptSessions } from './session-upgrade.js';
import { principalFor } from './authorize.js';
import { responseCheck, type ResponseCheck } from './response-check.js';
import type { TokenStore } from '../store/tokens.js';
import type { DashboardAssets } from './dashboard/assets.js';
import type { DashboardAuth } from './dashboard/session-auth.js';

/** The dashboard's pages and its cookie sessions (src/api/dashboard/). */
export interface DashboardParts {
  assets: DashboardAssets;
  auth: DashboardAuth;
}

export function createApiServer(
  router: Router,
  tokens: TokenStore,
  log: (line: string) => void,
  dashboard: DashboardParts,
): Server {
  // The API routes by path alone, so a request without Host is served rather than refused bare.
  const check = responseCheck(process.env, log);
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false }, (req, res) => {
    void handle(router, tokens, dashboard, req, res, check).catch((err: unknown) => {
      if (!isBerthError(err))
        log(`internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
      // A body left unread (an upload refused part-way) would otherwise be drained in full.
      if (!req.complete) res.setHeader('connection', 'close');
      sendError(res, err);
    });
  });
  server.keepAliveTimeout = 10_000;
  refuseUnparsedRequests(server);
  acceptSessions(
    server,
    router,
    (header, route, params, query) => principalFor(tokens, header, route, params, query),
    log,
  );
  return server;
}

async function handle(
  router: Router,
  tokens: TokenStore,
  dashboard: DashboardParts,
  req: IncomingMessage,
  res: ServerResponse,
  check?: ResponseCheck,
): Promise<void> {
  const url = requestUrl(req.url ?? '/');
  if (dashboard.assets.serve(req, res, url.pathname)) return;
  const { route, params } = router.match(req.method ?? 'GET', url.pathname);
  // Authorized before the body is read: a refused upload is not received. Without an
  // Authorization header, the dashboard's session cookie, if any, stands for its token.
  const principal = principalFor(tokens, req.headers.authorization, route, params, url.searchParams, () =>
    dashboard.auth.owner(req),
  );
  const user = principal.name;
  if (route.upgrade) {
    throw new BerthError('upgrade_required', `${url.pathname} is a session: it needs an upgraded connection`);
  }
  let body: unknown = undefined;
  if (route.body) {
    const json = await readJsonBody(req, { sensitive: route.sensitiveBody, limit: route.maxBody });
    body = validateBody(route.body, json);
  }
  const call = () => route.handler({ params, query: url.searchParams, body, user, principal, req, res });
  // Events the request causes, now or later (a deploy's machines), are recorded as by `user`.
  const result = await (route.access === 'public' ? call() : runAs(user, call));
  if (result === STREAMED) return;
  const status = route.status ?? 200;
  if (result === undefined || req.method === 'HEAD') {
    res.writeHead(status === 200 && result === undefined ? 204 : status).end();
    return;
  }
  check?.(route, result);
  sendJson(res, status, result);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  const error = isBerthError(err)
    ? err
    : new BerthError('internal', 'the daemon failed to handle this request');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.code === 'method_not_allowed') {
    const allow = (error.details as { allow?: string[] } | undefined)?.allow ?? [];
    res.setHeader('allow', allow.join(', '));
  }
  sendJson(res, error.status, toErrorBody(error));
}
