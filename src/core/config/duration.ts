// Durations as config files write them: numbers, or Go-style strings ("5s", "1m30s", "500ms").
// A bare number carries no unit, so the caller says which one its key means. fly reads
// kill_timeout = 5 as seconds but interval = 10000 in a check as milliseconds; berth keeps
// both readings so that old files mean what they meant on fly.

/** The unit of a bare number (or a numeric string like "30"). */
export type BareUnit = 'ms' | 's';

/**
 * The durations a key accepts. Every bound stays under setTimeout's limit (2^31 - 1 ms, about
 * 24.8 days), past which a timer fires at once; and a too-short value is refused rather than
 * rounded to 0 ("0.0001s" would otherwise mean "no time at all").
 */
export interface DurationRange {
  min: number;
  max: number;
  /** 0 is accepted besides the range: it means "none" (a check's grace period). */
  zero?: boolean;
}

const DAY_MS = 86_400_000;
/** Health check interval and timeout. */
export const CHECK_RANGE: DurationRange = { min: 1, max: DAY_MS };
/** A check's grace period: none at all, or 1 ms to a day. */
export const GRACE_RANGE: DurationRange = { min: 1, max: DAY_MS, zero: true };
/** Timeouts and periods that the daemon waits out: kill_timeout, wait_timeout, idle_timeout... */
export const TIMEOUT_RANGE: DurationRange = { min: 1_000, max: DAY_MS };

/** "between 1ms and 24h" (with "0 or" when zero is allowed), for messages. */
export function describeRange(range: DurationRange): string {
  return `${range.zero ? '0 or ' : ''}between ${formatDuration(range.min)} and ${formatDuration(range.max)}`;
}

/** Whether `ms` lies in `range`; a duration below 1 ms that is not exactly 0 is outside. */
export function inRange(ms: number, range: DurationRange): boolean {
  return (range.zero === true && ms === 0) || (ms >= range.min && ms <= range.max);
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

// One "<number><unit>" part; the sticky flag makes the loop below reject anything between parts.
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/y;

/** Milliseconds, or undefined when the value is not a non-negative duration. */
export function parseDuration(value: unknown, bareUnit: BareUnit): number | undefined {
  if (typeof value === 'number') {
    const ms = bareUnit === 's' ? value * 1000 : value;
    return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text), bareUnit);

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** The shortest Go-style spelling of a whole number of milliseconds: 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}
