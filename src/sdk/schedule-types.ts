// Schedules and notification targets as the API returns them: derived from its schemas.
export type { NotifyTargetInfo, ScheduleInfo, ScheduleRunInfo } from '../api/schedule-schemas.js';
