// The apps page: each app's state, current release, machines started of total, URL and its
// last release (who made it, when). Refreshed every few seconds.
import { api } from '../api.js';
import { ago, badge, h, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import type { AppSummary } from '../types.js';

const REFRESH_MS = 5000;

function appRow(app: AppSummary): HTMLTableRowElement {
  const latest = app.latestRelease;
  return h(
    'tr',
    { 'data-app': app.name },
    h('td', {}, h('a', { href: `#/apps/${encodeURIComponent(app.name)}` }, app.name)),
    h('td', {}, badge(app.state)),
    h('td', {}, app.currentRelease === null ? '—' : `v${app.currentRelease}`),
    h('td', { class: 'machines' }, `${app.machines.started}/${app.machines.total}`),
    h('td', {}, h('a', { href: app.url, rel: 'noreferrer', target: '_blank' }, app.url)),
    h(
      'td',
      { class: 'last-deploy' },
      latest
        ? `v${latest.version} ${latest.status} by ${latest.createdBy}, ${ago(latest.createdAt)}`
        : 'never deployed',
    ),
  );
}

export function showAppsPage(main: HTMLElement): () => void {
  const body = h('tbody');
  const problem = h('div');
  const table = h(
    'table',
    { class: 'apps' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['App', 'State', 'Release', 'Machines', 'URL', 'Last deploy'].map((t) => h('th', {}, t)),
      ),
    ),
    body,
  );
  replace(main, h('h1', {}, 'Apps'), problem, table);
  let stopped = false;
  const refresh = async () => {
    try {
      const apps = await api<AppSummary[]>('/v1/apps');
      if (stopped) return;
      replace(problem);
      replace(
        body,
        apps.length === 0
          ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No apps yet: `berth deploy` makes one.'))
          : apps.map(appRow),
      );
    } catch (err) {
      if (!stopped) replace(problem, errorBox(err));
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
