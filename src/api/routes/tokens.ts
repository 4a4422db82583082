// Tokens: who may call the API, with which role, for which apps, until when. Only admins make
// and revoke them; any token may ask who it is.
import { GRANTABLE_ROLES } from '../../core/access.js';
import { assertAppName } from '../../core/app-name.js';
import { BerthError } from '../../core/errors.js';
import { assertTokenName } from '../../core/token-name.js';
import type { TokenRecord } from '../../store/tokens.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';
import {
  CreatedTokenResponse,
  CreateTokenBody,
  RevokedTokenResponse,
  TokensResponse,
  WhoamiSchema,
  type TokenInfo,
} from '../token-schemas.js';

/** Names the daemon keeps for itself: its metrics token, and the actor of public routes. */
const RESERVED_NAMES = new Set(['metrics', 'anonymous']);

function tokenView(t: TokenRecord, now = Date.now()): TokenInfo {
  return {
    name: t.name,
    role: t.role,
    apps: t.apps,
    expiresAt: t.expiresAt,
    expired: t.expiresAt !== null && Date.parse(t.expiresAt) <= now,
    createdAt: t.createdAt,
    createdBy: t.createdBy,
    lastUsedAt: t.lastUsedAt,
  };
}

export function tokenRoutes(s: ApiServices): Route[] {
  const tokens = s.store.tokens;
  return [
    route({
      method: 'GET',
      path: '/v1/whoami',
      summary: "The calling token's name, role, apps and expiry",
      tag: 'tokens',
      access: 'token',
      response: WhoamiSchema,
      handler: ({ principal }) => ({
        name: principal.name,
        role: principal.role,
        apps: principal.apps,
        expiresAt: principal.expiresAt,
      }),
    }),
    route({
      method: 'GET',
      path: '/v1/tokens',
      summary: 'List tokens not revoked: name, role, apps, expiry, who made them, last use (never hashes)',
      tag: 'tokens',
      access: 'admin',
      response: TokensResponse,
      handler: () => ({ tokens: tokens.list().map((t) => tokenView(t)) }),
    }),
    route({
      method: 'POST',
      path: '/v1/tokens',
      summary: 'Create a token; its plaintext is in this answer and nowhere else',
      tag: 'tokens',
      access: 'admin',
      body: CreateTokenBody,
      response: CreatedTokenResponse,
      status: 201,
      handler: ({ body, user }) => {
        assertTokenName(body.name);
        if (RESERVED_NAMES.has(body.name)) {
          throw new BerthError('invalid_request', `the token name ${body.name} is kept for the daemon`, {
            hint: 'Pick another name.',
          });
        }
        const role = body.role ?? 'viewer';
        if (!GRANTABLE_ROLES.includes(role)) throw new BerthError('invalid_request', `no role ${role}`);
        const apps = [...new Set(body.apps ?? [])];
        for (const app of apps) assertAppName(app);
        if (role === 'admin' && apps.length > 0) {
          throw new BerthError('invalid_request', 'an admin token covers every app: it takes no --app', {
            hint: `Use --role deployer or --role viewer for a token limited to ${apps.join(', ')}.`,
          });
        }
        const expiresAt =
          body.expiresInSeconds === undefined
            ? null
            : new Date(Date.now() + body.expiresInSeconds * 1000).toISOString();
        const secret = tokens.create(body.name, {
          role,
          apps: apps.length > 0 ? apps : null,
          expiresAt,
          createdBy: user,
        });
        const token = tokenView(tokens.byName(body.name)!);
        s.store.events.append({
          kind: 'token.created',
          message: `token ${token.name} (${token.role}${token.apps ? ` of ${token.apps.join(', ')}` : ''}${token.expiresAt ? `, until ${token.expiresAt}` : ''}) created by ${user}`,
          data: { name: token.name, role: token.role, apps: token.apps, expiresAt: token.expiresAt },
        });
        return { token, secret };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/tokens/{name}',
      summary: 'Revoke a token: it stops working at once, and its cookie sessions end',
      tag: 'tokens',
      access: 'admin',
      response: RevokedTokenResponse,
      handler: ({ params, user }) => {
        const name = params.name!;
        const token = tokens.byName(name);
        if (!token) {
          throw new BerthError('token_not_found', `no token named ${name}`);
        }
        if (token.role === 'admin' && tokens.countAdmins({ except: name }) === 0) {
          throw new BerthError('last_admin_token', `${name} is the last admin token that works`);
        }
        tokens.revoke(name);
        s.store.events.append({
          kind: 'token.revoked',
          message: `token ${name} (${token.role}) revoked by ${user}`,
          data: { name, role: token.role },
        });
        return { revoked: tokenView(token) };
      },
    }),
  ];
}
