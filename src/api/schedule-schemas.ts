// Schemas of the schedules and notifications API; the SDK's types are derived from them.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './schemas.js';

export const ScheduleRunSchema = Type.Object({
  id: Type.Integer(),
  app: Type.String(),
  schedule: Type.String(),
  dueAt: Type.String(),
  trigger: Type.String({ description: 'cron, every, manual or catch-up' }),
  releaseVersion: Nullable(Type.Integer()),
  machineId: Nullable(Type.String()),
  attempt: Type.Integer(),
  status: Type.String({ description: 'claimed, running or finished' }),
  outcome: Nullable(Type.String({ description: 'ok, failed, timeout, skipped, missed or unknown' })),
  exitCode: Nullable(Type.Integer()),
  reason: Nullable(Type.String()),
  /** Only on a single run's answer: the last lines of its output, secret values blanked. */
  logTail: Type.Optional(Nullable(Type.String())),
  claimedAt: Type.String(),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  durationMs: Nullable(Type.Integer()),
});
export type ScheduleRunInfo = Static<typeof ScheduleRunSchema>;

export const ScheduleSchema = Type.Object({
  name: Type.String(),
  cron: Nullable(Type.String()),
  timezone: Nullable(Type.String()),
  everyMs: Nullable(Type.Integer()),
  command: Type.String(),
  timeoutMs: Type.Integer(),
  overlap: Type.String(),
  retries: Type.Integer(),
  catchUpMs: Nullable(Type.Integer()),
  paused: Type.Boolean(),
  nextRunAt: Nullable(Type.String()),
  running: Type.Integer(),
  lastRun: Nullable(ScheduleRunSchema),
});
export type ScheduleInfo = Static<typeof ScheduleSchema>;

export const ScheduleListResponse = Type.Object({ schedules: Type.Array(ScheduleSchema) });
export const ScheduleResponse = Type.Object({ schedule: ScheduleSchema });
export const ScheduleRunResponse = Type.Object({ run: ScheduleRunSchema });
export const ScheduleHistoryResponse = Type.Object({ runs: Type.Array(ScheduleRunSchema) });

export const NotifyTargetSchema = Type.Object({
  id: Type.Integer(),
  /** The origin only: a webhook URL's path is often a secret itself. */
  url: Type.String(),
  signed: Type.Boolean(),
  events: Type.Array(Type.String()),
  source: Type.String({
    description: '"config" ([notify] of the current release) or "cli" (berth notify add)',
  }),
  createdAt: Nullable(Type.String()),
  createdBy: Nullable(Type.String()),
});
export type NotifyTargetInfo = Static<typeof NotifyTargetSchema>;

export const NotifyTargetsResponse = Type.Object({ targets: Type.Array(NotifyTargetSchema) });
export const NotifyTargetResponse = Type.Object({ target: NotifyTargetSchema });

export const NotifyAddBody = Type.Object(
  {
    url: Type.String({ maxLength: 2048 }),
    secret: Type.Optional(Type.String({ maxLength: 4096 })),
    events: Type.Optional(Type.Array(Type.String(), { maxItems: 16 })),
  },
  { additionalProperties: false },
);
export type NotifyAddBody = Static<typeof NotifyAddBody>;
