// Cron expressions, read by croner: 5 fields (minute first) or 6 (second first), the usual
// macros, names of months and days. A time zone makes the fields wall-clock times there, with
// DST as cron has it: a fixed time skipped by a spring-forward runs once just after the change,
// a fixed time that happens twice in a fall-back runs once, and patterns with a wildcard or
// step in the time fields follow the wall clock (every matching hour that exists).
import { Cron } from 'croner';

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Why `expr` is no cron expression berth runs; undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (text === '') return 'is empty';
  if (text.startsWith('@')) {
    return MACROS.includes(text.toLowerCase()) ? undefined : `is not a cron macro (${MACROS.join(', ')})`;
  }
  const fields = text.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `has ${fields} field(s), not 5 (or 6 with seconds first)`;
  try {
    new Cron(text, { paused: true, mode: '5-or-6-parts' });
    return undefined;
  } catch (err) {
    // croner's messages name the field and value ("Invalid value for minute: 61").
    const why = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, '') : String(err);
    return `is not a valid cron expression: ${why}`;
  }
}

/** Whether `zone` is an IANA time zone this runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

/** The first time strictly after `afterMs` that `expr` matches in `zone`; undefined if none. */
export function nextCronTime(expr: string, zone: string | undefined, afterMs: number): number | undefined {
  const cron = new Cron(expr.trim(), {
    paused: true,
    mode: '5-or-6-parts',
    ...(zone !== undefined && { timezone: zone }),
  });
  return cron.nextRun(new Date(afterMs))?.getTime();
}
