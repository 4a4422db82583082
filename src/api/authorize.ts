// Authentication and authorization of one API call: the bearer token's owner, then the route's
// right checked against the token's role and apps (src/core/access.ts). Runs before a body is
// read, so a refused call costs no upload or JSON parse.
import { accessRefusal, decideAccess, type Access } from '../core/access.js';
import { BerthError } from '../core/errors.js';
import type { TokenOwner, TokenStore } from '../store/tokens.js';
import { ANONYMOUS, type Route } from './router.js';

/** The owner of the "Authorization: Bearer" token; 401 when there is none or it does not work. */
export function bearerOwner(tokens: TokenStore, header: string | undefined): TokenOwner {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new BerthError('unauthorized', 'this request has no API token');
  const owner = tokens.verify(match[1]!);
  if (!owner)
    throw new BerthError('unauthorized', 'the API token is not valid (unknown, revoked or expired)');
  return owner;
}

/** The app a request is about: its `{app}` path parameter, else `?app=` (GET /v1/events). */
export function requestApp(params: Record<string, string>, query: URLSearchParams): string | undefined {
  return params.app ?? query.get('app') ?? undefined;
}

/** Checks that `owner` holds `access` (on `app`, when given); 403 naming the missing right. */
export function authorizeAccess(owner: TokenOwner, access: Access, app?: string): void {
  const decision = decideAccess(owner, access, app);
  if (!decision.allowed) throw accessRefusal(owner, decision);
}

/** Checks that `owner` may call `route` about the request's app. */
export function authorize(
  owner: TokenOwner,
  route: Route,
  params: Record<string, string>,
  query: URLSearchParams,
): void {
  authorizeAccess(owner, route.access, requestApp(params, query));
}

/**
 * The principal of a request: anonymous on public routes, else its token (or the dashboard
 * session's), checked against the route.
 */
export function principalFor(
  tokens: TokenStore,
  header: string | undefined,
  route: Route,
  params: Record<string, string>,
  query: URLSearchParams,
  /** The dashboard session's token, asked only when there is no Authorization header. */
  sessionOwner?: () => TokenOwner | undefined,
): TokenOwner {
  if (route.access === 'public') return ANONYMOUS;
  const owner = (header === undefined ? sessionOwner?.() : undefined) ?? bearerOwner(tokens, header);
  authorize(owner, route, params, query);
  return owner;
}
