// An app at a glance, as `berth status` and `apps list` show it: its state (core/app-state.ts
// decides), release, machines started of total, restarts in the last hour and its URLs. Read
// from the store only, so listing many apps stays cheap.
import { appState, CRASHLOOP_WINDOW_MS, isCrashLooping, type AppState } from '../core/app-state.js';
import type { App } from '../core/model.js';
import type { Machine } from '../store/machines.js';
import type { ApiServices } from './services.js';
import { appView, machineView } from './views.js';

const HOUR_MS = 60 * 60_000;

export interface MachineCondition {
  restartsLastHour: number;
  crashLooping: boolean;
}

export function machineConditions(
  s: Pick<ApiServices, 'store'>,
  app: string,
  machines: Machine[],
  now = Date.now(),
): Map<string, MachineCondition> {
  const restarts = s.store.events.countByMachine(
    app,
    'machine.restarted',
    new Date(now - HOUR_MS).toISOString(),
  );
  const exits = s.store.events.countByMachine(
    app,
    'machine.exited',
    new Date(now - CRASHLOOP_WINDOW_MS).toISOString(),
  );
  return new Map(
    machines.map((m) => [
      m.id,
      {
        restartsLastHour: restarts.get(m.id) ?? 0,
        crashLooping: isCrashLooping({
          state: m.state,
          recentExits: exits.get(m.id) ?? 0,
          upMs: m.state === 'started' && m.startedAt ? now - Date.parse(m.startedAt) : null,
        }),
      },
    ]),
  );
}

/** The app's URLs through the proxy: HTTP, and HTTPS when the daemon has a TLS listener. */
export function appUrls(s: Pick<ApiServices, 'urlFor' | 'tlsUrl'>, app: string): string[] {
  const http = s.urlFor(app);
  if (!s.tlsUrl) return [http];
  const https = new URL(http);
  https.protocol = 'https:';
  https.port = new URL(s.tlsUrl).port;
  return [http, https.toString().replace(/\/$/, '')];
}

export function appSummary(s: ApiServices, app: App, now = Date.now()) {
  const machines = s.store.machines.listByApp(app.name);
  const conditions = machineConditions(s, app.name, machines, now);
  const managed = machines.filter((m) => m.managed);
  const latest = s.store.releases.list(app.name)[0];
  const current =
    app.currentRelease === null ? undefined : s.store.releases.get(app.name, app.currentRelease);
  const state: AppState = appState({
    deployed: app.currentRelease !== null,
    deploying: s.store.deployments.running(app.name) !== undefined,
    lastReleaseFailed: latest?.status === 'failed',
    autoStops: (current?.config.httpService?.autoStopMachines ?? 'off') !== 'off',
    machines: managed.map((m) => ({ state: m.state, crashLooping: conditions.get(m.id)!.crashLooping })),
  });
  return {
    ...appView(app, s.urlFor(app.name)),
    state,
    latestRelease: latest
      ? {
          version: latest.version,
          status: latest.status,
          createdBy: latest.createdBy,
          createdAt: latest.createdAt,
        }
      : null,
    machines: {
      started: machines.filter((m) => m.state === 'started').length,
      total: machines.length,
    },
    restartsLastHour: [...conditions.values()].reduce((n, c) => n + c.restartsLastHour, 0),
    urls: appUrls(s, app.name),
  };
}

/** A machine as status shows it: its record, restarts in the last hour, and whether it loops. */
export function machineStatusView(m: Machine, condition: MachineCondition | undefined, now = Date.now()) {
  return {
    ...machineView(m, now),
    restartsLastHour: condition?.restartsLastHour ?? 0,
    crashLooping: condition?.crashLooping ?? false,
  };
}
