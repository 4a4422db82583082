// berth's own [schedules.NAME]: a command run on a cron expression or an interval, each run a
// temporary machine of the app's current release. Every key is judged here, so a schedule the
// daemon could not run fails the deploy instead of being stored and never run.
import { cronProblem, isTimeZone } from '../schedules/cron.js';
import { TIMEOUT_RANGE, type DurationRange } from './duration.js';
import { describe, isTable, type Reader, type Table } from './reader.js';
import { shellJoin } from './sections.js';
import type { ScheduleConfig } from './types.js';

export const SCHEDULE_DEFAULTS = { timeoutMs: 3_600_000, overlap: 'skip', retries: 0 } as const;
export const MAX_RETRIES = 10;
/** 0 means "never catch up": a run due while the daemon was down is recorded as missed. */
const CATCH_UP_RANGE: DurationRange = { ...TIMEOUT_RANGE, zero: true };
const KEYS = ['cron', 'every', 'timezone', 'command', 'timeout', 'overlap', 'retries', 'catch_up'];
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

export function readSchedules(r: Reader, raw: Table): ScheduleConfig[] {
  const section = r.table(raw, 'schedules', []);
  const schedules: ScheduleConfig[] = [];
  for (const [name, value] of Object.entries(section ?? {})) {
    const path = ['schedules', name];
    if (!isTable(value)) {
      r.error(path, `must be a table (got ${describe(value)})`, `Write the schedule as [schedules.${name}].`);
      continue;
    }
    const schedule = readSchedule(r, name, value);
    if (schedule) schedules.push(schedule);
  }
  return schedules;
}

function readSchedule(r: Reader, name: string, value: Table): ScheduleConfig | undefined {
  const path = ['schedules', name];
  const before = r.errorCount;
  if (!NAME.test(name)) {
    r.error(
      path,
      `is not a schedule name berth can use (got ${describe(name)})`,
      'Use letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters.',
    );
  }
  r.unknownKeys(value, path, KEYS);
  const cron = r.string(value, 'cron', path)?.trim();
  const everyMs = r.duration(value, 'every', path, 's', TIMEOUT_RANGE);
  const timezone = r.string(value, 'timezone', path)?.trim();
  const argv = r.strings(value, 'command', path);
  const command = argv && (typeof value.command === 'string' ? value.command : shellJoin(argv));
  const problem = cron === undefined ? undefined : cronProblem(cron);
  if (problem) {
    r.error(
      [...path, 'cron'],
      `${problem} (got ${describe(cron)})`,
      'Write five fields (minute hour day-of-month month day-of-week), e.g. cron = "*/15 * * * *", six with seconds first, or a macro such as "@daily".',
    );
  }
  if ((value.cron === undefined) === (value.every === undefined)) {
    r.error(
      path,
      'needs exactly one of cron and every',
      'Write cron = "0 3 * * *" or every = "1h", not both.',
    );
  }
  if (timezone !== undefined && !isTimeZone(timezone)) {
    r.error(
      [...path, 'timezone'],
      `is not a time zone (got ${describe(timezone)})`,
      'Write an IANA zone name such as "Europe/Berlin", "America/New_York" or "UTC".',
    );
  } else if (timezone !== undefined && value.cron === undefined) {
    r.warn(
      [...path, 'timezone'],
      'only a cron schedule has a time zone; an every schedule ignores it',
      'Remove timezone, or write the schedule as a cron expression.',
    );
  }
  if (!command?.trim()) r.error(path, 'the schedule has no command', 'Add command = "the command to run".');
  const timeoutMs = r.duration(value, 'timeout', path, 's', TIMEOUT_RANGE);
  const overlap = readOverlap(r, value, path);
  const retries = r.integer(value, 'retries', path, 0, MAX_RETRIES);
  const catchUpMs = r.duration(value, 'catch_up', path, 's', CATCH_UP_RANGE);
  if (r.errorCount > before || !command) return undefined;
  return {
    name,
    ...(cron !== undefined ? { cron } : { everyMs: everyMs! }),
    ...(cron !== undefined && timezone !== undefined && { timezone }),
    command,
    timeoutMs: timeoutMs ?? SCHEDULE_DEFAULTS.timeoutMs,
    overlap: overlap ?? SCHEDULE_DEFAULTS.overlap,
    retries: retries ?? SCHEDULE_DEFAULTS.retries,
    ...(catchUpMs !== undefined && { catchUpMs }),
  };
}

function readOverlap(r: Reader, table: Table, path: string[]): ScheduleConfig['overlap'] | undefined {
  const value = table.overlap;
  if (value === undefined || value === 'skip' || value === 'allow') return value;
  r.error(
    [...path, 'overlap'],
    `must be "skip" or "allow" (got ${describe(value)})`,
    'Write overlap = "skip" to leave out a run while the last one still goes, or "allow" to start it anyway.',
  );
  return undefined;
}

/** A schedule as stored by an older release (before timeout, overlap and retries were read). */
export function withScheduleDefaults(
  s: Partial<ScheduleConfig> & { name: string; command: string },
): ScheduleConfig {
  return {
    ...s,
    timeoutMs: s.timeoutMs ?? SCHEDULE_DEFAULTS.timeoutMs,
    overlap: s.overlap ?? SCHEDULE_DEFAULTS.overlap,
    retries: s.retries ?? SCHEDULE_DEFAULTS.retries,
  };
}
