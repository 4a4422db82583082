// The dashboard: resume the session (or show the login form), then route by the URL's hash:
// #/ lists apps, #/apps/NAME shows one. Each page returns how to stop its polling and streams.
import { api, onUnauthorized, setCsrf } from './api.js';
import { replace } from './dom.js';
import { showLogin } from './login.js';
import { showAppPage } from './pages/app.js';
import { showAppsPage } from './pages/apps.js';
import { session, setSession } from './session.js';
import type { Session } from './types.js';

const main = document.getElementById('main')!;
const who = document.getElementById('who')!;
const logout = document.getElementById('logout') as HTMLButtonElement;
let leave: (() => void) | undefined;

function route(): void {
  leave?.();
  leave = undefined;
  const current = session();
  if (!current) {
    who.textContent = '';
    logout.hidden = true;
    showLogin(main, route);
    return;
  }
  who.textContent = `${current.name} (${current.role})`;
  logout.hidden = false;
  const app = /^#\/apps\/([^/]+)$/.exec(location.hash);
  leave = app ? showAppPage(main, decodeURIComponent(app[1]!)) : showAppsPage(main);
}

function ended(): void {
  setSession(undefined);
  route();
}

logout.addEventListener('click', () => {
  void api('/v1/dashboard/logout', { method: 'POST' }).finally(ended);
});
onUnauthorized.handler = () => {
  if (session()) ended();
};
window.addEventListener('hashchange', route);

async function start(): Promise<void> {
  try {
    const resumed = await api<Session>('/v1/dashboard/session');
    setCsrf(resumed.csrf);
    setSession(resumed);
  } catch {
    setSession(undefined);
  }
  replace(main);
  route();
}

void start();
