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
    showLogin(main, (opened) => void loggedIn(opened).then(route));
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

/** The token's role as GET /v1/whoami tells it: what the page offers follows it. */
async function loggedIn(opened: Session): Promise<void> {
  setCsrf(opened.csrf);
  try {
    const whoami = await api<{ name: string; role: string; apps: string[] | null }>('/v1/whoami');
    setSession({ ...opened, name: whoami.name, role: whoami.role, apps: whoami.apps });
  } catch {
    setSession(opened);
  }
}

async function start(): Promise<void> {
  try {
    await loggedIn(await api<Session>('/v1/dashboard/session'));
  } catch {
    setSession(undefined);
  }
  replace(main);
  route();
}

void start();
