// The API's second way in: a dashboard session cookie, turned into the token it was opened
// with. A write made with the cookie must also carry the session's CSRF value in a header,
// which a page on another site cannot read or send; Bearer requests need none.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BerthError } from '../../core/errors.js';
import type { DashboardSessionStore } from '../../store/dashboard-sessions.js';
import type { TokenOwner, TokenStore } from '../../store/tokens.js';
import { sessionCookieValue } from './cookies.js';

export const CSRF_HEADER = 'x-berth-csrf';

export class DashboardAuth {
  constructor(
    private readonly sessions: DashboardSessionStore,
    private readonly tokens: Pick<TokenStore, 'owner'>,
  ) {}

  /**
   * The token owner behind the request's session cookie; undefined when it has none. A cookie
   * whose session is unknown, expired or whose token is revoked is 401; a write without the
   * session's CSRF header 403.
   */
  owner(req: IncomingMessage): TokenOwner | undefined {
    const id = sessionCookieValue(req.headers.cookie);
    if (id === undefined) return undefined;
    const session = this.sessions.find(id);
    const owner = session && this.tokens.owner(session.tokenId);
    if (!session || !owner) {
      throw new BerthError('unauthorized', 'the dashboard session has ended', {
        hint: 'Log in to the dashboard again with a valid token.',
      });
    }
    if (
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      !sameSecret(req.headers[CSRF_HEADER], session.csrf)
    ) {
      throw new BerthError(
        'csrf',
        `a write with the dashboard's session cookie needs the ${CSRF_HEADER} header`,
      );
    }
    return owner;
  }
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
