// The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
// daemon: log in, see an app the CLI deployed, watch a deploy arrive, roll back and stop an
// app from the page; a wrong token, a request without the cookie and a cookie write without
// the CSRF header are refused. A screenshot of each page goes to test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, TestDaemon } from '../helpers/daemon.js';
import { writeRolloutApp } from '../helpers/rollout-app.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(REPO_ROOT, 'test-output/screenshots');
const missing = !existsSync(CHROMIUM);
// Under CI a missing browser is a failure (the run must install it), elsewhere a skip.
const skip =
  missing && process.env.CI !== 'true' ? `${CHROMIUM} is missing: apt-get install chromium` : false;

let daemon: TestDaemon;
let browser: Browser;
let page: Page;
let dir: string;
const cspViolations: string[] = [];

before(async () => {
  if (skip) return;
  assert.ok(!missing, `${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'berth-dashboard-'));
  const [started, launched] = await Promise.all([
    TestDaemon.start(),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] }),
  ]);
  daemon = started;
  browser = launched;
  writeRolloutApp(dir, { app: 'web', label: 'one' });
  await daemon.deploy(dir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(60_000);
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
  });
});

after(async () => {
  await browser?.close();
  await daemon?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The browser's session cookie, for requests made outside the page. */
async function sessionCookie(): Promise<string> {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'berth_session');
  assert.ok(cookie, 'the login set berth_session');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  return `berth_session=${cookie.value}`;
}

test('the page is served with a strict CSP; a wrong token is refused', { skip }, async () => {
  const res = await page.goto(daemon.info.apiUrl + '/');
  assert.equal(res?.status(), 200);
  const headers = res!.headers();
  assert.match(headers['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  const script = await fetch(`${daemon.info.apiUrl}/dashboard/main.js`);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const etag = script.headers.get('etag')!;
  const again = await fetch(`${daemon.info.apiUrl}/dashboard/main.js`, {
    headers: { 'if-none-match': etag },
  });
  assert.equal(again.status, 304);
  await page.fill('#token', 'berth_not-a-token');
  await page.click('#login button[type=submit]');
  await page.locator('.login-problem .error').getByText('the token is not valid').waitFor();
  await shot('login-refused');
});

test('logging in with the admin token shows the app the CLI deployed', { skip }, async () => {
  await page.fill('#token', daemon.token);
  await page.click('#login button[type=submit]');
  const row = page.locator('tr[data-app="web"]');
  await row.locator('.state-deployed').waitFor();
  assert.equal(await row.locator('td.machines').textContent(), '1/1');
  assert.match((await row.locator('td.last-deploy').textContent()) ?? '', /^v1 \w+ by admin, /);
  await shot('apps');
});

test('a deploy from the CLI appears on the app page as it happens', { skip }, async () => {
  await page.click('tr[data-app="web"] a[href="#/apps/web"]');
  await page.locator('tr[data-release="1"]').waitFor();
  writeRolloutApp(dir, { app: 'web', label: 'two' });
  const deploying = daemon.deploy(dir);
  await page.locator('tr[data-release="2"]').waitFor();
  await page.locator('.events li[data-kind="release.created"]', { hasText: 'release v2' }).waitFor();
  await deploying;
  await page.locator('tr[data-release="2"] .current').waitFor();
  await page.locator('.logs li', { hasText: 'booting two' }).first().waitFor();
  await page.locator('.charts .uplot').first().waitFor();
  await shot('app');
});

test(
  'API calls without the cookie are 401; a cookie write without the CSRF header is 403',
  { skip },
  async () => {
    const cookie = await sessionCookie();
    const api = daemon.info.apiUrl;
    assert.equal((await fetch(`${api}/v1/apps`)).status, 401);
    assert.equal((await fetch(`${api}/v1/apps`, { headers: { cookie } })).status, 200);
    const forged = await fetch(`${api}/v1/apps/web/rollback`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'csrf');
    const wrongCsrf = await fetch(`${api}/v1/apps/web/rollback`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-berth-csrf': 'guessed' },
      body: '{}',
    });
    assert.equal(wrongCsrf.status, 403);
    const stale = await fetch(`${api}/v1/apps`, { headers: { cookie: 'berth_session=forgotten' } });
    assert.equal(stale.status, 401);
  },
);

test('rolling back from the page makes a new release attributed to the token', { skip }, async () => {
  await page.click('tr[data-release="1"] button.rollback');
  await page.locator('dialog.confirm').getByText('Roll back web to v1?').waitFor();
  await shot('rollback-dialog');
  await page.click('#dialog-confirm');
  const row = page.locator('tr[data-release="3"]');
  await row.waitFor();
  const releases = JSON.parse((await daemon.api('GET', '/v1/apps/web/releases')).body) as {
    version: number;
    description: string;
    createdBy: string;
  }[];
  const v3 = releases.find((r) => r.version === 3);
  assert.match(v3?.description ?? '', /v1/);
  assert.equal(await row.locator('td.by').textContent(), v3?.createdBy);
  assert.equal(v3?.createdBy, 'admin');
  await row.locator('.current').waitFor();
  assert.match((await daemon.proxied('web')).body, /^one /);
});

test(
  'a viewer token sees no write buttons, and a forged rollback with its cookie and CSRF is 403',
  { skip },
  async () => {
    const created = await daemon.cliJson<{ secret: string }>([
      'tokens',
      'create',
      'watcher',
      '--role',
      'viewer',
    ]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const viewer = await context.newPage();
      viewer.setDefaultTimeout(60_000);
      await viewer.goto(daemon.info.apiUrl + '/#/apps/web');
      await viewer.fill('#token', created.secret);
      await viewer.click('#login button[type=submit]');
      await viewer.locator('#who').getByText('watcher (viewer)').waitFor();
      await viewer.locator('tr[data-release="1"]').waitFor();
      await viewer.locator('.machines tr[data-machine]').first().waitFor();
      assert.equal(await viewer.locator('button.rollback').count(), 0);
      assert.equal(await viewer.locator('#stop-app').count(), 0);
      await viewer.screenshot({ path: join(SCREENSHOTS, 'app-viewer.png'), fullPage: true });
      const cookie = (await context.cookies()).find((c) => c.name === 'berth_session');
      assert.ok(cookie);
      const headers = { cookie: `berth_session=${cookie.value}` };
      const api = daemon.info.apiUrl;
      const session = (await (await fetch(`${api}/v1/dashboard/session`, { headers })).json()) as {
        csrf: string;
        role: string;
      };
      assert.equal(session.role, 'viewer');
      const forged = await fetch(`${api}/v1/apps/web/rollback`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-berth-csrf': session.csrf },
        body: '{"version":1}',
      });
      assert.equal(forged.status, 403);
      assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'forbidden');
      // A revoked token's sessions end with it.
      assert.equal((await daemon.cli(['tokens', 'revoke', 'watcher'])).code, 0);
      assert.equal((await fetch(`${api}/v1/apps`, { headers })).status, 401);
    } finally {
      await context.close();
    }
  },
);

test('Stop app asks for the app name, then removes it as apps destroy does', { skip }, async () => {
  await page.click('#stop-app');
  const confirm = page.locator('#dialog-confirm');
  await page.fill('#confirm-name', 'we');
  assert.equal(await confirm.isDisabled(), true);
  await page.fill('#confirm-name', 'web');
  await shot('stop-dialog');
  await confirm.click();
  await page.waitForURL(/#\/$/);
  await page.locator('td', { hasText: 'No apps yet' }).waitFor();
  assert.equal((await daemon.api('GET', '/v1/apps/web')).status, 404);
  assert.deepEqual(cspViolations, []);
});

test('a session outlives a daemon restart and ends at logout', { skip }, async () => {
  const cookie = await sessionCookie();
  await daemon.terminate();
  await daemon.boot();
  const api = daemon.info.apiUrl;
  assert.equal((await fetch(`${api}/v1/dashboard/session`, { headers: { cookie } })).status, 200);
  await page.goto(api + '/');
  await page.click('#logout');
  await page.locator('#login').waitFor();
  assert.equal((await fetch(`${api}/v1/apps`, { headers: { cookie } })).status, 401);
});
