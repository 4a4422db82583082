// Metrics: the Prometheus exposition (admin or the read-only metrics token), an app's traffic
// over the last minutes (`berth metrics`, the dashboard) and its usage per release.
import { requireApp } from '../lookups.js';
import { AppTrafficSchema, UsageSchema } from '../metrics-schemas.js';
import { queryInteger } from '../query.js';
import { route, STREAMED, type Route } from '../router.js';
import type { ApiServices } from '../services.js';

export function metricsRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics (text format): the admin token or the read-only metrics token',
      // The metrics token, admins, and readers of every app: it counts them all.
      access: 'metrics',
      tag: 'metrics',
      streams: 'text/plain; version=0.0.4',
      handler: async ({ req, res }) => {
        const text = await s.metrics.text();
        res.writeHead(200, {
          'content-type': s.metrics.contentType,
          'content-length': Buffer.byteLength(text),
        });
        res.end(req.method === 'HEAD' ? undefined : text);
        return STREAMED;
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/metrics',
      summary:
        "An app's requests/s, error rate and latency per release over the last minutes (?minutes=1-60, default 5)",
      access: 'read',
      tag: 'metrics',
      response: AppTrafficSchema,
      handler: ({ params, query }) => {
        const app = requireApp(s.store, params.app!);
        const minutes = queryInteger(query, 'minutes', { min: 1, max: 60, fallback: 5 });
        return s.traffic.appTraffic(app.name, minutes);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/apps/{app}/usage',
      summary: 'Machine-seconds run, requests served and schedule runs per release',
      access: 'read',
      tag: 'metrics',
      response: UsageSchema,
      handler: async ({ params }) => usageView(s, requireApp(s.store, params.app!).name),
    }),
  ];
}

/** An app's usage, per release and in total (also part of its status). */
export async function usageView(s: ApiServices, app: string) {
  const releases = (await s.traffic.usage(app)).map((u) => ({
    release: u.releaseVersion,
    machineSeconds: u.machineSeconds,
    requests: u.requests,
    scheduleRuns: u.scheduleRuns,
  }));
  const total = { machineSeconds: 0, requests: 0, scheduleRuns: 0 };
  for (const r of releases) {
    total.machineSeconds += r.machineSeconds;
    total.requests += r.requests;
    total.scheduleRuns += r.scheduleRuns;
  }
  return { total, releases };
}
