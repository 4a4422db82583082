// Token scopes, route by route, against a real daemon: every route the API describes is called
// with an admin token, a deployer of app a (on a and on b), a viewer, the metrics token, an
// expired and a revoked token, and the status class (401, 403, or neither) is checked against
// the table below. The route list comes from the daemon's own description, which is generated
// from the router's list: a route added without a row here fails this test.
//
// Requests carry no body: authorization is decided before a body is read or validated, so an
// allowed call answers 400/404/409/426 cheaply while a refused one answers 401/403.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { httpRequest, TestDaemon } from '../helpers/daemon.js';

/** The right each route needs, as the issue decides it: public, token (any), metrics, read, deploy, admin. */
const EXPECTED: Record<string, 'public' | 'token' | 'metrics' | 'read' | 'deploy' | 'admin'> = {
  'GET /v1/health': 'public',
  'GET /v1/openapi.json': 'public',
  'GET /v1/whoami': 'token',
  'GET /metrics': 'metrics',
  'GET /v1/apps': 'read',
  'POST /v1/apps': 'admin',
  'GET /v1/apps/{app}': 'read',
  'DELETE /v1/apps/{app}': 'admin',
  'GET /v1/apps/{app}/status': 'read',
  'GET /v1/artifacts/{digest}': 'deploy',
  'PUT /v1/artifacts/{digest}': 'deploy',
  'POST /v1/apps/{app}/deploys': 'deploy',
  'POST /v1/apps/{app}/rollback': 'deploy',
  'GET /v1/apps/{app}/lock': 'read',
  'DELETE /v1/apps/{app}/lock': 'deploy',
  'GET /v1/nodes': 'read',
  'POST /v1/nodes/{node}/labels': 'admin',
  'GET /v1/apps/{app}/releases': 'read',
  'GET /v1/apps/{app}/releases/{version}': 'read',
  'GET /v1/apps/{app}/releases/{version}/events': 'read',
  'GET /v1/apps/{app}/machines': 'read',
  'POST /v1/apps/{app}/machines': 'deploy',
  'GET /v1/apps/{app}/logs': 'read',
  'GET /v1/apps/{app}/events': 'read',
  'GET /v1/apps/{app}/secrets': 'read',
  'POST /v1/apps/{app}/secrets': 'deploy',
  'POST /v1/apps/{app}/secrets/deploy': 'deploy',
  'GET /v1/apps/{app}/volumes': 'read',
  'POST /v1/apps/{app}/volumes': 'deploy',
  'GET /v1/apps/{app}/volumes/{id}': 'read',
  'DELETE /v1/apps/{app}/volumes/{id}': 'admin',
  'GET /v1/apps/{app}/machines/{machine}': 'read',
  'DELETE /v1/apps/{app}/machines/{machine}': 'deploy',
  'POST /v1/apps/{app}/machines/{machine}/clone': 'deploy',
  'POST /v1/apps/{app}/machines/{machine}/start': 'deploy',
  'POST /v1/apps/{app}/machines/{machine}/stop': 'deploy',
  'GET /v1/apps/{app}/scale': 'read',
  'POST /v1/apps/{app}/scale': 'deploy',
  'GET /v1/apps/{app}/certs': 'read',
  'POST /v1/apps/{app}/certs': 'admin',
  'GET /v1/apps/{app}/certs/{hostname}': 'read',
  'DELETE /v1/apps/{app}/certs/{hostname}': 'admin',
  'GET /v1/apps/{app}/ips': 'read',
  'POST /v1/apps/{app}/ips': 'admin',
  'DELETE /v1/apps/{app}/ips/{address}': 'admin',
  'GET /v1/events': 'read',
  'GET /v1/apps/{app}/schedules': 'read',
  'GET /v1/apps/{app}/schedules/{name}/runs': 'read',
  'POST /v1/apps/{app}/schedules/{name}/runs': 'deploy',
  'GET /v1/apps/{app}/schedules/{name}/runs/{id}': 'read',
  'POST /v1/apps/{app}/schedules/{name}/pause': 'deploy',
  'POST /v1/apps/{app}/schedules/{name}/resume': 'deploy',
  'GET /v1/apps/{app}/notify': 'read',
  'POST /v1/apps/{app}/notify': 'admin',
  'DELETE /v1/apps/{app}/notify/{target}': 'admin',
  'GET /v1/apps/{app}/metrics': 'read',
  'GET /v1/apps/{app}/usage': 'read',
  'POST /v1/apps/{app}/run': 'deploy',
  'POST /v1/apps/{app}/console': 'deploy',
  'POST /v1/apps/{app}/machines/{machine}/exec': 'deploy',
  'GET /v1/server': 'read',
  'POST /v1/server/stop': 'admin',
  'POST /v1/server/restart': 'admin',
  'GET /v1/tokens': 'admin',
  'POST /v1/tokens': 'admin',
  'DELETE /v1/tokens/{name}': 'admin',
  'POST /v1/dashboard/login': 'public',
  'GET /v1/dashboard/session': 'token',
  'POST /v1/dashboard/logout': 'public',
};

type Right = (typeof EXPECTED)[string];
type Outcome = 'allowed' | 401 | 403;

interface Caller {
  label: string;
  /** The token's name, which a 403 must quote. */
  name: string;
  token: string;
  /** The app put in {app} and ?app=. */
  app: string;
  expect: (right: Right, appScoped: boolean) => Outcome;
}

const allowedIf = (ok: boolean): Outcome => (ok ? 'allowed' : 403);

/** Fills a path's parameters with values that match nothing, except {app}. */
function fill(path: string, app: string): string {
  const values: Record<string, string> = {
    app,
    digest: `sha256:${'0'.repeat(64)}`,
    version: '1',
    machine: 'm-none',
    id: '1',
    hostname: 'none.example.test',
    address: '127.0.0.1:9',
    name: 'none',
    target: '1',
  };
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x');
}

function classOf(status: number): Outcome {
  return status === 401 || status === 403 ? status : 'allowed';
}

test('every route answers each kind of token as its table row says', async () => {
  const daemon = await TestDaemon.start();
  try {
    const admin = daemon.token;
    const metrics = readFileSync(join(daemon.home, 'metrics-token'), 'utf8').trim();
    assert.equal((await daemon.api('POST', '/v1/apps', body({ name: 'a' }))).status, 201);
    assert.equal((await daemon.api('POST', '/v1/apps', body({ name: 'b' }))).status, 201);
    const create = async (spec: Record<string, unknown>): Promise<string> => {
      const res = await daemon.api('POST', '/v1/tokens', body(spec));
      assert.equal(res.status, 201, res.body);
      return (JSON.parse(res.body) as { secret: string }).secret;
    };
    const deployer = await create({ name: 'deployer-a', role: 'deployer', apps: ['a'] });
    const viewer = await create({ name: 'viewer', role: 'viewer' });
    const expired = await create({ name: 'expired', role: 'admin', expiresInSeconds: 60 });
    const revoked = await create({ name: 'revoked', role: 'admin' });
    assert.equal((await daemon.api('DELETE', '/v1/tokens/revoked')).status, 200);
    // An expiry in the past, written where the daemon keeps it: nothing waits out a real one.
    const db = new Database(join(daemon.home, 'berth.db'));
    db.prepare("UPDATE tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE name = 'expired'").run();
    db.close();

    const callers: Caller[] = [
      {
        label: 'deployer of a, on a',
        name: 'deployer-a',
        token: deployer,
        app: 'a',
        expect: (r) => allowedIf(['public', 'token', 'read', 'deploy'].includes(r)),
      },
      {
        label: 'deployer of a, on b',
        name: 'deployer-a',
        token: deployer,
        app: 'b',
        expect: (r, scoped) =>
          allowedIf(['public', 'token'].includes(r) || (!scoped && ['read', 'deploy'].includes(r))),
      },
      {
        label: 'viewer',
        name: 'viewer',
        token: viewer,
        app: 'a',
        expect: (r) => allowedIf(['public', 'token', 'read', 'metrics'].includes(r)),
      },
      {
        label: 'metrics',
        name: 'metrics',
        token: metrics,
        app: 'a',
        expect: (r) => allowedIf(['public', 'token', 'metrics'].includes(r)),
      },
      {
        label: 'expired',
        name: 'expired',
        token: expired,
        app: 'a',
        expect: (r) => (r === 'public' ? 'allowed' : 401),
      },
      {
        label: 'revoked',
        name: 'revoked',
        token: revoked,
        app: 'a',
        expect: (r) => (r === 'public' ? 'allowed' : 401),
      },
      // Last: an allowed DELETE /v1/apps/{app} destroys the app.
      { label: 'admin', name: 'admin', token: admin, app: 'a', expect: () => 'allowed' },
    ];

    const description = JSON.parse((await daemon.api('GET', '/v1/openapi.json', { token: null })).body) as {
      paths: Record<string, Record<string, { 'x-berth-access': string }>>;
    };
    const routes = Object.entries(description.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const missing = routes.filter((r) => !(r in EXPECTED));
    assert.deepEqual(missing, [], 'every route needs a row in EXPECTED');
    assert.deepEqual(
      Object.keys(EXPECTED).filter((r) => !routes.includes(r)),
      [],
      'every row names a route',
    );

    const wrong: string[] = [];
    for (const caller of callers) {
      for (const key of routes) {
        const [method, path] = key.split(' ') as [string, string];
        const right = EXPECTED[key]!;
        const scoped = path.includes('{app}') || path === '/v1/events';
        let target = fill(path, caller.app);
        if (path === '/v1/events') target += `?app=${caller.app}&lines=1`;
        const res = await daemon.api(method, target, { token: caller.token });
        const want = caller.expect(right, scoped);
        if (classOf(res.status) !== want)
          wrong.push(`${caller.label}: ${key} → ${res.status} (want ${want}) ${res.body.slice(0, 160)}`);
        if (want === 403 && res.status === 403) {
          const error = (JSON.parse(res.body) as { error: { message: string; hint: string } }).error;
          if (!error.message.includes(`token "${caller.name}"`))
            wrong.push(`${caller.label}: ${key}: the 403 does not name the token: ${error.message}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  } finally {
    await daemon.destroy();
  }
});

test('sessions are authorized before the upgrade: a viewer and another app’s deployer get 403, not a session', async () => {
  const daemon = await TestDaemon.start();
  try {
    for (const name of ['a', 'b'])
      assert.equal((await daemon.api('POST', '/v1/apps', body({ name }))).status, 201);
    const create = async (spec: Record<string, unknown>) =>
      (JSON.parse((await daemon.api('POST', '/v1/tokens', body(spec))).body) as { secret: string }).secret;
    const viewer = await create({ name: 'viewer', role: 'viewer' });
    const deployer = await create({ name: 'ci', role: 'deployer', apps: ['a'] });
    const url = new URL(daemon.info.apiUrl);
    const upgrade = (path: string, token: string) =>
      httpRequest({
        host: url.hostname,
        port: Number(url.port),
        path,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, connection: 'Upgrade', upgrade: 'berth-session/1' },
      });
    for (const path of [
      '/v1/apps/b/run?cmd=true',
      '/v1/apps/b/console',
      '/v1/apps/b/machines/m-none/exec?cmd=true',
    ]) {
      for (const token of [viewer, deployer]) {
        const res = await upgrade(path, token);
        assert.equal(res.status, 403, `${path}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, 'forbidden');
      }
    }
    // The deployer's own app: past authorization (no release to run yet, so not a session either).
    const own = await upgrade('/v1/apps/a/run?cmd=true', deployer);
    assert.notEqual(own.status, 403, own.body);
    assert.notEqual(own.status, 401, own.body);
  } finally {
    await daemon.destroy();
  }
});

function body(value: unknown): { body: string; contentType: string } {
  return { body: JSON.stringify(value), contentType: 'application/json' };
}
