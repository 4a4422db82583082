// `berth schedules list|history|run|pause|resume`: the [schedules.NAME] of an app's current
// release, their runs, a run by hand, and pausing.
import type { Command } from 'commander';
import { formatDuration } from '../../core/config/duration.js';
import type { ScheduleInfo, ScheduleRunInfo } from '../../sdk/schedule-types.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { integerFlag } from '../number-flag.js';
import { CliExit, table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';
import { examples } from '../examples.js';

interface Opts {
  app?: string;
  json?: boolean;
}

const APP_FLAG = ['-a, --app <name>', 'app name (default: the app in ./berth.toml)'] as const;

export function registerSchedules(program: Command, ctx: CliContext): void {
  const schedules = program
    .command('schedules')
    .description("Run, list and pause an app's [schedules.NAME]")
    .addHelpText('after', examples('berth schedules list', 'berth schedules history nightly -n 50'));

  schedules
    .command('list')
    .description('The schedules of the current release: when each runs next and how it last ended')
    .addHelpText('after', examples('berth schedules list', 'berth schedules list -a web --json'))
    .option(...APP_FLAG)
    .option('--json', 'print JSON: {schedules}')
    .action(async (_o: Opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts>();
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).listSchedules(app);
      if (opts.json) return ctx.out.json(result);
      if (result.schedules.length === 0)
        return ctx.out.line(`${app} has no schedules in its current release.`);
      ctx.out.line(
        table(
          ['NAME', 'WHEN', 'COMMAND', 'NEXT RUN', 'LAST RESULT'],
          result.schedules.map((s) => [
            s.name,
            when(s),
            s.command,
            s.paused ? 'paused' : (s.nextRunAt ?? '-'),
            s.lastRun ? lastResult(s.lastRun) : '-',
          ]),
        ),
      );
    });

  schedules
    .command('history <name>')
    .description('Runs of a schedule, newest first (--run ID: one run with its output)')
    .addHelpText(
      'after',
      examples('berth schedules history nightly', 'berth schedules history nightly --run 42'),
    )
    .option(...APP_FLAG)
    .option(
      '--run <id>',
      'show one run and the tail of its output',
      integerFlag('--run', 1, Number.MAX_SAFE_INTEGER),
    )
    .option('-n, --limit <count>', 'how many runs (default 20)', integerFlag('--limit', 1, 1000))
    .option('--json', 'print JSON: {runs} (with --run: {run})')
    .action(async (name: string, _o: Opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts & { run?: number; limit?: number }>();
      const app = resolveAppName(ctx.cwd, opts.app);
      const client = await ctx.client();
      if (opts.run !== undefined) {
        const { run } = await client.scheduleRun(app, name, opts.run);
        if (opts.json) return ctx.out.json({ run });
        ctx.out.line(describeRun(run));
        ctx.out.line(run.logTail ? `\n${run.logTail}` : '\n(no output kept)');
        return;
      }
      const result = await client.scheduleHistory(app, name, opts.limit ?? 20);
      if (opts.json) return ctx.out.json(result);
      if (result.runs.length === 0) return ctx.out.line(`Schedule ${name} has not run yet.`);
      ctx.out.line(
        table(
          ['RUN', 'DUE', 'TRIGGER', 'RELEASE', 'OUTCOME', 'EXIT', 'DURATION', 'MACHINE'],
          result.runs.map((r) => [
            `#${r.id}`,
            r.dueAt,
            r.trigger,
            r.releaseVersion === null ? '-' : `v${r.releaseVersion}`,
            r.outcome ?? r.status,
            r.exitCode === null ? '-' : String(r.exitCode),
            r.durationMs === null ? '-' : formatDuration(r.durationMs),
            r.machineId ?? '-',
          ]),
        ),
      );
    });

  schedules
    .command('run <name>')
    .description('Run a schedule now, once, on the current release')
    .addHelpText('after', examples('berth schedules run nightly', 'berth schedules run nightly --wait'))
    .option(...APP_FLAG)
    .option('--wait', 'wait for the run to end, print its output, and exit non-zero unless it succeeded')
    .option('--json', 'print JSON: {run}')
    .action(async (name: string, _o: Opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<Opts & { wait?: boolean }>();
      const app = resolveAppName(ctx.cwd, opts.app);
      const client = await ctx.client();
      let { run } = await client.runSchedule(app, name);
      if (opts.wait) {
        while (run.status !== 'finished') {
          await new Promise((resolve) => setTimeout(resolve, 250));
          ({ run } = await client.scheduleRun(app, name, run.id));
        }
      }
      if (opts.json) ctx.out.json({ run });
      else if (!opts.wait) {
        ctx.out.line(
          `Started run #${run.id} of ${name}; \`berth schedules history ${name} -a ${app} --run ${run.id}\` shows how it ends.`,
        );
      } else {
        ctx.out.line(describeRun(run));
        if (run.logTail) ctx.out.line(`\n${run.logTail}`);
      }
      if (opts.wait && run.outcome !== 'ok') throw new CliExit(EXIT.failure);
    });

  for (const action of ['pause', 'resume'] as const) {
    schedules
      .command(`${action} <name>`)
      .description(
        action === 'pause'
          ? 'Pause a schedule: its due times pass without runs (or missed records) until it is resumed'
          : 'Resume a paused schedule: it runs from its next due time on',
      )
      .addHelpText(
        'after',
        examples(`berth schedules ${action} nightly`, `berth schedules ${action} nightly -a web`),
      )
      .option(...APP_FLAG)
      .option('--json', 'print JSON: {schedule}')
      .action(async (name: string, _o: Opts, cmd: Command) => {
        const opts = cmd.optsWithGlobals<Opts>();
        const app = resolveAppName(ctx.cwd, opts.app);
        const result = await (await ctx.client()).setSchedulePaused(app, name, action === 'pause');
        if (opts.json) return ctx.out.json(result);
        ctx.out.line(
          action === 'pause'
            ? `Paused schedule ${name} of ${app}.`
            : `Resumed schedule ${name} of ${app}; next run ${result.schedule.nextRunAt ?? '-'}.`,
        );
      });
  }
}

function when(s: ScheduleInfo): string {
  if (s.cron !== null) return `cron "${s.cron}"${s.timezone ? ` ${s.timezone}` : ''}`;
  return `every ${formatDuration(s.everyMs ?? 0)}`;
}

function lastResult(r: ScheduleRunInfo): string {
  const outcome = r.outcome ?? r.status;
  return `${outcome}${r.exitCode !== null && r.outcome !== 'ok' ? ` (exit ${r.exitCode})` : ''} at ${r.finishedAt ?? r.claimedAt}`;
}

function describeRun(r: ScheduleRunInfo): string {
  const parts = [
    `run #${r.id} of ${r.schedule}: ${r.outcome ?? r.status}`,
    `trigger ${r.trigger}, due ${r.dueAt}`,
    r.releaseVersion !== null ? `release v${r.releaseVersion}` : undefined,
    r.machineId ? `machine ${r.machineId}` : undefined,
    r.exitCode !== null ? `exit code ${r.exitCode}` : undefined,
    r.durationMs !== null ? `took ${formatDuration(r.durationMs)}` : undefined,
    r.attempt > 1 ? `attempt ${r.attempt}` : undefined,
  ].filter(Boolean);
  return parts.join(', ') + (r.reason ? `\n${r.reason}` : '');
}
