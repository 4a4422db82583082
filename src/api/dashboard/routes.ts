// Dashboard login and logout: a token exchanged for a session cookie (12 hours), and the
// session's name, role and CSRF value for a page that was reloaded.
import { Type } from '@sinclair/typebox';
import type { TLSSocket } from 'node:tls';
import { BerthError } from '../../core/errors.js';
import type { DashboardSessionStore } from '../../store/dashboard-sessions.js';
import type { TokenStore } from '../../store/tokens.js';
import { route, type Route } from '../router.js';
import { sessionCookie, sessionCookieValue } from './cookies.js';
import { LoginLimit } from './login-limit.js';

export const SESSION_TTL_MS = 12 * 60 * 60_000;

const LoginBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const DashboardSessionSchema = Type.Object({
  name: Type.String(),
  role: Type.String(),
  csrf: Type.String(),
  expiresAt: Type.String(),
});

export function dashboardRoutes(deps: { tokens: TokenStore; sessions: DashboardSessionStore }): Route[] {
  const limit = new LoginLimit();
  return [
    route({
      method: 'POST',
      path: '/v1/dashboard/login',
      summary: 'Exchange a token for a dashboard session cookie (HttpOnly, SameSite=Strict, 12 hours)',
      tag: 'dashboard',
      access: 'public',
      body: LoginBody,
      sensitiveBody: true,
      maxBody: 1024,
      response: DashboardSessionSchema,
      handler: ({ body, req, res }) => {
        const address = req.socket.remoteAddress ?? '';
        if (!limit.allows(address)) {
          throw new BerthError('too_many_requests', 'too many failed dashboard logins from this address');
        }
        const owner = deps.tokens.verify(body.token);
        if (!owner) {
          limit.failed(address);
          throw new BerthError('unauthorized', 'the token is not valid', {
            hint: 'Paste a token berth printed (the admin token is in <home>/credentials).',
          });
        }
        if (owner.role === 'metrics') {
          throw new BerthError('forbidden', 'the metrics token cannot log in to the dashboard', {
            hint: 'Use a token that may read the API.',
          });
        }
        const { id, session } = deps.sessions.create(owner.id, SESSION_TTL_MS);
        const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
        res.setHeader('set-cookie', sessionCookie(id, { maxAgeSeconds: SESSION_TTL_MS / 1000, secure }));
        res.setHeader('cache-control', 'no-store');
        return { name: owner.name, role: owner.role, csrf: session.csrf, expiresAt: session.expiresAt };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/dashboard/session',
      summary: "The dashboard session's token name, role and CSRF value (cookie only)",
      tag: 'dashboard',
      access: 'token',
      response: DashboardSessionSchema,
      handler: ({ req, res }) => {
        const id = sessionCookieValue(req.headers.cookie);
        const session = id === undefined ? undefined : deps.sessions.find(id);
        const owner = session && deps.tokens.owner(session.tokenId);
        if (!session || !owner) {
          throw new BerthError('not_found', 'this request has no dashboard session', {
            hint: 'POST /v1/dashboard/login with a token opens one.',
          });
        }
        res.setHeader('cache-control', 'no-store');
        return { name: owner.name, role: owner.role, csrf: session.csrf, expiresAt: session.expiresAt };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/dashboard/logout',
      summary: 'End the dashboard session and clear its cookie',
      tag: 'dashboard',
      access: 'public',
      // It takes no fields: a body that is anything but {} (or none) is refused like any other.
      body: Type.Object({}, { additionalProperties: false }),
      response: Type.Object({ loggedOut: Type.Boolean() }),
      handler: ({ req, res }) => {
        const id = sessionCookieValue(req.headers.cookie);
        if (id !== undefined) deps.sessions.remove(id);
        const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
        res.setHeader('set-cookie', sessionCookie('', { maxAgeSeconds: 0, secure }));
        return { loggedOut: id !== undefined };
      },
    }),
  ];
}
