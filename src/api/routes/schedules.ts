// [schedules.NAME] of an app: list (next run, last result), history, a run by hand, pause and
// resume. The scheduler does the work; handlers shape the answers.
import type { ScheduleRun } from '../../store/schedule-runs.js';
import type { ScheduleView } from '../../daemon/schedules/scheduler.js';
import { requireApp } from '../lookups.js';
import { queryInteger } from '../query.js';
import { route, type Route } from '../router.js';
import {
  ScheduleHistoryResponse,
  ScheduleListResponse,
  ScheduleResponse,
  ScheduleRunResponse,
  type ScheduleInfo,
  type ScheduleRunInfo,
} from '../schedule-schemas.js';
import type { ApiServices } from '../services.js';
import { BerthError } from '../../core/errors.js';

export function runView(run: ScheduleRun, withLog = false): ScheduleRunInfo {
  const { logTail, ...rest } = run;
  return withLog ? { ...rest, logTail } : rest;
}

function scheduleView(v: ScheduleView): ScheduleInfo {
  const s = v.schedule;
  return {
    name: s.name,
    cron: s.cron ?? null,
    timezone: s.timezone ?? null,
    everyMs: s.everyMs ?? null,
    command: s.command,
    timeoutMs: s.timeoutMs,
    overlap: s.overlap,
    retries: s.retries,
    catchUpMs: s.catchUpMs ?? null,
    paused: v.paused,
    nextRunAt: v.nextRunAt,
    running: v.running,
    lastRun: v.lastRun ? runView(v.lastRun) : null,
  };
}

export function scheduleRoutes(s: ApiServices): Route[] {
  const base = '/v1/apps/{app}/schedules';
  return [
    route({
      method: 'GET',
      path: base,
      summary: "The schedules of the app's current release: next run, last result, paused or not",
      access: 'read',
      tag: 'schedules',
      response: ScheduleListResponse,
      handler: ({ params }) => {
        requireApp(s.store, params.app!);
        return { schedules: s.scheduler.list(params.app!).map(scheduleView) };
      },
    }),
    route({
      method: 'GET',
      path: `${base}/{name}/runs`,
      summary: 'Runs of a schedule, newest first (?limit=, default 20)',
      access: 'read',
      tag: 'schedules',
      response: ScheduleHistoryResponse,
      handler: ({ params, query }) => {
        requireApp(s.store, params.app!);
        const limit = queryInteger(query, 'limit', { min: 1, max: 1000, fallback: 20 });
        return { runs: s.scheduler.history(params.app!, params.name!, limit).map((r) => runView(r)) };
      },
    }),
    route({
      method: 'GET',
      path: `${base}/{name}/runs/{id}`,
      summary: 'One run of a schedule, with the tail of its output',
      access: 'read',
      tag: 'schedules',
      response: ScheduleRunResponse,
      handler: ({ params }) => {
        requireApp(s.store, params.app!);
        const run = /^\d+$/.test(params.id!) ? s.store.scheduleRuns.get(Number(params.id)) : undefined;
        if (!run || run.app !== params.app || run.schedule !== params.name) {
          throw new BerthError(
            'not_found',
            `schedule ${params.name} of app "${params.app}" has no run ${params.id}`,
            {
              hint: `\`berth schedules history ${params.name} -a ${params.app}\` lists its runs.`,
            },
          );
        }
        return { run: runView(run, true) };
      },
    }),
    route({
      method: 'POST',
      path: `${base}/{name}/runs`,
      summary: 'Run a schedule now, once, on the current release',
      access: 'deploy',
      tag: 'schedules',
      response: ScheduleRunResponse,
      status: 202,
      handler: ({ params, user }) => {
        requireApp(s.store, params.app!);
        return { run: runView(s.scheduler.runNow(params.app!, params.name!, user)) };
      },
    }),
    ...(['pause', 'resume'] as const).map((action) =>
      route({
        method: 'POST',
        path: `${base}/{name}/${action}`,
        summary:
          action === 'pause'
            ? 'Pause a schedule: its due times pass without runs until it is resumed'
            : 'Resume a paused schedule: due times from now on run',
        access: 'deploy',
        tag: 'schedules',
        response: ScheduleResponse,
        handler: ({ params, user }) => {
          requireApp(s.store, params.app!);
          return {
            schedule: scheduleView(
              s.scheduler.setPaused(params.app!, params.name!, action === 'pause', user),
            ),
          };
        },
      }),
    ),
  ];
}
