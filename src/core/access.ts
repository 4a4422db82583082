// Who may call what: a token's role and apps against the right a route asks for. Pure, so
// the whole table (role × right × app) is tested here, apart from the HTTP server that enforces it.
import { BerthError } from './errors.js';

/** What a token is for. `metrics` reads GET /metrics and nothing else (a Prometheus server). */
export type Role = 'admin' | 'deployer' | 'viewer' | 'metrics';
export const ROLES: readonly Role[] = ['admin', 'deployer', 'viewer', 'metrics'];
/** The roles `berth tokens create` makes; the metrics token is made by the daemon alone. */
export const GRANTABLE_ROLES: readonly Role[] = ['admin', 'deployer', 'viewer'];

/**
 * The right a route asks for. `read`: see apps, releases, logs, events. `deploy`: change what
 * runs (deploy, roll back, scale, secrets, start/stop machines, sessions, locks). `admin`:
 * what reaches past one app's releases (tokens, creating and destroying apps, hostnames,
 * certificates, addresses, volumes' removal, notify targets, the daemon itself). `token`: any
 * valid token, whatever its role (GET /v1/whoami).
 */
export type Access = 'public' | 'token' | 'metrics' | 'read' | 'deploy' | 'admin';

export interface Grant {
  name: string;
  role: Role;
  /** The apps the token is limited to; null for every app. */
  apps: readonly string[] | null;
}

export type AccessDecision =
  { allowed: true } | { allowed: false; missing: Access; app?: string; reason: 'role' | 'app' };

const RIGHTS: Record<Role, readonly Access[]> = {
  admin: ['public', 'token', 'metrics', 'read', 'deploy', 'admin'],
  deployer: ['public', 'token', 'read', 'deploy'],
  viewer: ['public', 'token', 'read'],
  metrics: ['public', 'token', 'metrics'],
};

/** Whether the token may use a route asking for `access`, about `app` when the request names one. */
export function decideAccess(grant: Grant, access: Access, app?: string): AccessDecision {
  if (access === 'public') return { allowed: true };
  // GET /metrics counts every app: readers of every app may scrape it, besides the metrics token.
  const reads = RIGHTS[grant.role].includes('read');
  if (access === 'metrics' && reads && grant.apps === null) return { allowed: true };
  if (!RIGHTS[grant.role].includes(access)) {
    return { allowed: false, missing: access, reason: 'role', ...(app !== undefined && { app }) };
  }
  if (app !== undefined && grant.apps !== null && !grant.apps.includes(app)) {
    return { allowed: false, missing: access, app, reason: 'app' };
  }
  return { allowed: true };
}

/** Whether a listing (apps, events of every app) shows `app` to this token. */
export function seesApp(grant: Grant, app: string | null | undefined): boolean {
  if (grant.apps === null) return true;
  return app !== null && app !== undefined && grant.apps.includes(app);
}

/** The least role that holds a right. */
function roleFor(access: Access): Role {
  if (access === 'deploy') return 'deployer';
  if (access === 'read') return 'viewer';
  return 'admin';
}

/** The 403 for a refusal: which right is missing, for which token, and whom to ask. */
export function accessRefusal(grant: Grant, decision: AccessDecision & { allowed: false }): BerthError {
  const token = `token "${grant.name}" (${grant.role}${grant.apps ? ` of ${grant.apps.join(', ')}` : ''})`;
  if (grant.role === 'metrics') {
    return new BerthError(
      'forbidden',
      `the metrics token may only read GET /metrics; ${token} lacks ${decision.missing}`,
      {
        hint: 'Use the admin token (<home>/credentials, or BERTH_TOKEN) for the rest of the API.',
      },
    );
  }
  const onApp = decision.app !== undefined ? ` on app ${decision.app}` : '';
  const needed = decision.missing === 'admin' ? 'admin' : roleFor(decision.missing);
  const message =
    decision.reason === 'app'
      ? `${token} has no right on app ${decision.app}: this needs ${decision.missing}${onApp}`
      : `${token} lacks the ${decision.missing} right${onApp}`;
  const hint =
    needed === 'admin'
      ? 'Ask an admin to do it, or for a token with role admin (`berth tokens create NAME --role admin`).'
      : `Ask an admin for a token with role ${needed}${onApp} (\`berth tokens create NAME --role ${needed}${decision.app !== undefined ? ` --app ${decision.app}` : ''}\`).`;
  return new BerthError('forbidden', message, {
    hint,
    details: {
      missing: decision.missing,
      token: grant.name,
      ...(decision.app !== undefined && { app: decision.app }),
    },
  });
}
