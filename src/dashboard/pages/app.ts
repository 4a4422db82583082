// One app: its state and running deploy, plots of the last hour, releases (with rollback),
// machines, live logs and events, secret names, volumes and hostnames, and the red Stop app.
// Each event refreshes what it may have changed; a timer keeps uptimes and plots current.
import { api } from '../api.js';
import { TrafficCharts } from '../charts.js';
import { confirmByName } from '../dialogs.js';
import { badge, h, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import { MachinesSection } from '../sections/machines.js';
import { liveEvents, liveLogs } from '../sections/live.js';
import { ReleasesSection } from '../sections/releases.js';
import { ResourcesSection } from '../sections/resources.js';
import { canDestroy } from '../session.js';
import type { Release, Status, Traffic } from '../types.js';

const REFRESH_MS = 5000;
const CHARTS_MS = 10_000;

export function showAppPage(main: HTMLElement, app: string): () => void {
  const base = `/v1/apps/${encodeURIComponent(app)}`;
  const abort = new AbortController();
  const summary = h('div', { class: 'summary' });
  const problem = h('div');
  const charts = new TrafficCharts();
  const releases = new ReleasesSection(app, () => schedule());
  const machines = new MachinesSection();
  const resources = new ResourcesSection(app);
  let latestReleases: Release[] = [];

  const stop = canDestroy()
    ? h(
        'button',
        { type: 'button', class: 'danger', id: 'stop-app', onclick: () => void stopApp() },
        'Stop app',
      )
    : null;

  replace(
    main,
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Apps'), ' / ', app),
    h('div', { class: 'title' }, h('h1', {}, app), stop),
    problem,
    summary,
    h('section', { class: 'traffic' }, h('h2', {}, 'Last hour'), charts.element),
    releases.element,
    machines.element,
    h(
      'div',
      { class: 'live-pair' },
      liveLogs(app, abort.signal),
      liveEvents(app, abort.signal, () => schedule()),
    ),
    resources.element,
  );

  async function refresh(): Promise<void> {
    try {
      const [status, list] = await Promise.all([
        api<Status>(`${base}/status`, { signal: abort.signal }),
        api<Release[]>(`${base}/releases`, { signal: abort.signal }),
      ]);
      latestReleases = list;
      replace(problem);
      const deploying = status.deployment;
      replace(
        summary,
        h(
          'dl',
          {},
          h('dt', {}, 'State'),
          h('dd', { id: 'app-state' }, badge(status.app.state)),
          h('dt', {}, 'Release'),
          h('dd', {}, status.app.currentRelease === null ? '—' : `v${status.app.currentRelease}`),
          h('dt', {}, 'Machines'),
          h('dd', {}, `${status.app.machines.started}/${status.app.machines.total} started`),
          h('dt', {}, 'URL'),
          h(
            'dd',
            {},
            status.app.urls.map((u) => h('a', { href: u, rel: 'noreferrer', target: '_blank' }, u, ' ')),
          ),
          deploying && h('dt', {}, 'Deploying'),
          deploying &&
            h(
              'dd',
              { id: 'deploying' },
              `v${deploying.releaseVersion}: ${deploying.status}, step ${deploying.step}`,
            ),
        ),
      );
      releases.show(list, status.app.currentRelease);
      machines.show(status.machines);
      await resources.refresh();
    } catch (err) {
      if (!abort.signal.aborted) replace(problem, errorBox(err));
    }
  }

  async function plot(): Promise<void> {
    try {
      const traffic = await api<Traffic>(`${base}/metrics?minutes=60`, { signal: abort.signal });
      charts.update(traffic, latestReleases);
    } catch (err) {
      if (!abort.signal.aborted) replace(charts.element, errorBox(err));
    }
  }

  // Events come in bursts (a deploy's steps): one refresh per burst.
  let pending: ReturnType<typeof setTimeout> | undefined;
  function schedule(): void {
    if (pending !== undefined || abort.signal.aborted) return;
    pending = setTimeout(() => {
      pending = undefined;
      void refresh();
    }, 250);
  }

  async function stopApp(): Promise<void> {
    const ok = await confirmByName(
      `Stop ${app}?`,
      'Its machines stop and it is removed with its releases, routes, volumes and files, as `berth apps destroy` does. This cannot be undone.',
      app,
      'Stop app',
    );
    if (!ok) return;
    try {
      await api(base, { method: 'DELETE' });
      location.hash = '#/';
    } catch (err) {
      replace(problem, errorBox(err));
    }
  }

  void refresh().then(plot);
  const timers = [setInterval(() => void refresh(), REFRESH_MS), setInterval(() => void plot(), CHARTS_MS)];
  return () => {
    abort.abort();
    clearTimeout(pending);
    for (const t of timers) clearInterval(t);
    charts.destroy();
  };
}
