// A release's config is normalized once, when it is deployed, and stored. Configs stored before
// durations had ranges may hold values the daemon cannot wait out (a check timeout past 2³¹ ms
// overflows a timer; a wait_timeout of "0.0001s" became 0). A rollback or a secrets deploy
// reuses such a config as it is, so it is checked again against today's ranges.
import {
  CHECK_RANGE,
  GRACE_RANGE,
  TIMEOUT_RANGE,
  describeRange,
  formatDuration,
  inRange,
} from './duration.js';
import type { DurationRange } from './duration.js';
import type { AppConfig, CheckConfig } from './types.js';

/** One line per duration outside its range, naming the key; empty when all are fine. */
export function durationsOutOfRange(config: AppConfig): string[] {
  const problems: string[] = [];
  const check = (key: string, ms: number | undefined, range: DurationRange) => {
    if (ms !== undefined && !inRange(ms, range)) {
      problems.push(`${key} is ${formatDuration(ms)}, not ${describeRange(range)}`);
    }
  };
  const checks = (prefix: string, list: readonly CheckConfig[]) => {
    for (const c of list) {
      check(`${prefix}.${c.name}.interval`, c.intervalMs, CHECK_RANGE);
      check(`${prefix}.${c.name}.timeout`, c.timeoutMs, CHECK_RANGE);
      check(`${prefix}.${c.name}.grace_period`, c.gracePeriodMs, GRACE_RANGE);
    }
  };
  check('kill_timeout', config.killTimeoutMs, TIMEOUT_RANGE);
  check('deploy.wait_timeout', config.deploy.waitTimeoutMs, TIMEOUT_RANGE);
  check('deploy.release_command_timeout', config.deploy.releaseCommandTimeoutMs, TIMEOUT_RANGE);
  if (config.httpService) {
    check('http_service.idle_timeout', config.httpService.idleTimeoutMs, TIMEOUT_RANGE);
    checks('http_service.checks', config.httpService.checks);
  }
  config.services.forEach((s, i) => checks(`services[${i}].checks`, s.checks));
  checks('checks', config.checks);
  for (const s of config.schedules) check(`schedules.${s.name}.every`, s.everyMs, TIMEOUT_RANGE);
  return problems;
}
