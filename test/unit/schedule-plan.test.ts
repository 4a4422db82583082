// Table-driven: when schedules are due (cron in a zone with DST, every aligned to the epoch),
// and what one scheduler step runs, skips and records as missed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleConfig } from '../../src/core/config/types.js';
import { planStep } from '../../src/core/schedules/plan.js';
import { dueTimesBetween, nextDue } from '../../src/core/schedules/timing.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const base = { command: 'x', timeoutMs: 60_000, overlap: 'skip', retries: 0 } as const;
const cron = (expr: string, timezone?: string): ScheduleConfig => ({
  name: 's',
  cron: expr,
  ...(timezone && { timezone }),
  ...base,
});
const every = (ms: number, more: Partial<ScheduleConfig> = {}): ScheduleConfig => ({
  name: 's',
  everyMs: ms,
  ...base,
  ...more,
});

// Europe/Berlin: 2025-03-30 02:00 CET -> 03:00 CEST (01:00Z); 2025-10-26 03:00 CEST -> 02:00 CET (01:00Z).
const dueCases: { name: string; schedule: ScheduleConfig; after: string; want: string[] }[] = [
  {
    name: 'a daily 02:30 skipped by spring-forward runs once, at 03:00 CEST',
    schedule: cron('30 2 * * *', 'Europe/Berlin'),
    after: '2025-03-29T12:00:00Z',
    want: ['2025-03-30T01:00:00.000Z', '2025-03-31T00:30:00.000Z'],
  },
  {
    name: 'a daily 02:30 that happens twice at fall-back runs once',
    schedule: cron('30 2 * * *', 'Europe/Berlin'),
    after: '2025-10-25T12:00:00Z',
    want: ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z'],
  },
  {
    name: 'an hourly pattern runs in both 02:xx hours at fall-back',
    schedule: cron('15 * * * *', 'Europe/Berlin'),
    after: '2025-10-26T00:00:00Z',
    want: ['2025-10-26T00:15:00.000Z', '2025-10-26T01:15:00.000Z', '2025-10-26T02:15:00.000Z'],
  },
  {
    name: 'every 30 minutes follows the wall clock across spring-forward (no 02:xx)',
    schedule: cron('*/30 * * * *', 'Europe/Berlin'),
    after: '2025-03-30T00:15:00Z',
    want: ['2025-03-30T00:30:00.000Z', '2025-03-30T01:00:00.000Z', '2025-03-30T01:30:00.000Z'],
  },
  {
    name: 'the same cron in New York: its own DST day',
    schedule: cron('30 2 * * *', 'America/New_York'),
    after: '2025-03-08T12:00:00Z',
    want: ['2025-03-09T07:00:00.000Z', '2025-03-10T06:30:00.000Z'],
  },
  {
    name: 'UTC without a zone',
    schedule: cron('0 3 * * *'),
    after: '2025-03-29T12:00:00Z',
    want: ['2025-03-30T03:00:00.000Z', '2025-03-31T03:00:00.000Z'],
  },
  {
    name: 'six fields: seconds first',
    schedule: cron('*/20 * * * * *'),
    after: '2025-01-01T00:00:05Z',
    want: ['2025-01-01T00:00:20.000Z', '2025-01-01T00:00:40.000Z'],
  },
  {
    name: 'every is aligned to the epoch, not to when it was asked',
    schedule: every(60_000),
    after: '2025-01-01T00:00:59.999Z',
    want: ['2025-01-01T00:01:00.000Z', '2025-01-01T00:02:00.000Z'],
  },
];

for (const c of dueCases) {
  test(`due: ${c.name}`, () => {
    const got: string[] = [];
    let from = at(c.after);
    for (const _ of c.want) {
      const next = nextDue(c.schedule, from)!;
      got.push(iso(next)!);
      from = next;
    }
    assert.deepEqual(got, c.want);
  });
}

test('dueTimesBetween counts all and keeps the newest', () => {
  const got = dueTimesBetween(every(1000), at('2025-01-01T00:00:00Z'), at('2025-01-01T00:00:10.5Z'), 3);
  assert.equal(got.total, 10);
  assert.deepEqual(got.times.map(iso), [
    '2025-01-01T00:00:08.000Z',
    '2025-01-01T00:00:09.000Z',
    '2025-01-01T00:00:10.000Z',
  ]);
});

const T0 = at('2025-01-01T00:00:00Z');
const stepCases: {
  name: string;
  schedule: ScheduleConfig;
  last: number;
  now: number;
  startedAt?: number;
  running?: number;
  want: {
    run?: [number, string];
    skipped?: [number, string];
    missed: number[];
    missedCount: number;
    lastDueAt: number;
  };
}[] = [
  {
    name: 'nothing due yet',
    schedule: every(1000),
    last: T0,
    now: T0 + 999,
    want: { missed: [], missedCount: 0, lastDueAt: T0 },
  },
  {
    name: 'one due: runs',
    schedule: every(1000),
    last: T0,
    now: T0 + 1100,
    want: { run: [T0 + 1000, 'every'], missed: [], missedCount: 0, lastDueAt: T0 + 1000 },
  },
  {
    name: 'down for a while: the latest runs once as catch-up, older ones are missed',
    schedule: every(1000),
    last: T0,
    now: T0 + 4300,
    startedAt: T0 + 4200,
    want: {
      run: [T0 + 4000, 'catch-up'],
      missed: [T0 + 1000, T0 + 2000, T0 + 3000],
      missedCount: 3,
      lastDueAt: T0 + 4000,
    },
  },
  {
    name: 'up just before a due time: the last one due while down is caught up first',
    schedule: every(1000),
    last: T0,
    now: T0 + 5100,
    startedAt: T0 + 4900,
    want: {
      run: [T0 + 4000, 'catch-up'],
      missed: [T0 + 1000, T0 + 2000, T0 + 3000],
      missedCount: 3,
      lastDueAt: T0 + 4000,
    },
  },
  {
    name: 'the step after a catch-up runs the due time that came after the start',
    schedule: every(1000),
    last: T0 + 4000,
    now: T0 + 5200,
    startedAt: T0 + 4900,
    want: { run: [T0 + 5000, 'every'], missed: [], missedCount: 0, lastDueAt: T0 + 5000 },
  },
  {
    name: 'down longer than the catch-up window: all missed',
    schedule: every(60_000, { catchUpMs: 10_000 }),
    last: T0,
    now: T0 + 150_000,
    startedAt: T0 + 149_000,
    want: { missed: [T0 + 60_000, T0 + 120_000], missedCount: 2, lastDueAt: T0 + 120_000 },
  },
  {
    name: 'catch_up = 0: a run due while down is missed',
    schedule: every(60_000, { catchUpMs: 0 }),
    last: T0,
    now: T0 + 61_000,
    startedAt: T0 + 60_500,
    want: { missed: [T0 + 60_000], missedCount: 1, lastDueAt: T0 + 60_000 },
  },
  {
    name: 'a cron due while down, within one interval: catch-up',
    schedule: cron('0 * * * *'),
    last: T0,
    now: T0 + 3_600_000 + 600_000,
    startedAt: T0 + 3_600_000 + 500_000,
    want: { run: [T0 + 3_600_000, 'catch-up'], missed: [], missedCount: 0, lastDueAt: T0 + 3_600_000 },
  },
  {
    name: 'overlap skip while a run goes',
    schedule: every(1000),
    last: T0,
    now: T0 + 1050,
    running: 1,
    want: { skipped: [T0 + 1000, 'every'], missed: [], missedCount: 0, lastDueAt: T0 + 1000 },
  },
  {
    name: 'overlap allow while a run goes',
    schedule: every(1000, { overlap: 'allow' }),
    last: T0,
    now: T0 + 1050,
    running: 1,
    want: { run: [T0 + 1000, 'every'], missed: [], missedCount: 0, lastDueAt: T0 + 1000 },
  },
  {
    name: 'a very long outage keeps at most 100 rows and counts the rest',
    schedule: every(1000),
    last: T0,
    now: T0 + 1_000_500,
    startedAt: T0 + 1_000_400,
    want: {
      run: [T0 + 1_000_000, 'catch-up'],
      missed: Array.from({ length: 100 }, (_, i) => T0 + 900_000 + i * 1000),
      missedCount: 999,
      lastDueAt: T0 + 1_000_000,
    },
  },
];

for (const c of stepCases) {
  test(`step: ${c.name}`, () => {
    const plan = planStep({
      schedule: c.schedule,
      lastDueAt: c.last,
      now: c.now,
      startedAt: c.startedAt ?? T0 - 1,
      running: c.running ?? 0,
    });
    assert.deepEqual(
      {
        ...(plan.run && { run: [plan.run.dueAt, plan.run.trigger] }),
        ...(plan.skipped && { skipped: [plan.skipped.dueAt, plan.skipped.trigger] }),
        missed: plan.missed,
        missedCount: plan.missedCount,
        lastDueAt: plan.lastDueAt,
      },
      c.want,
    );
  });
}
