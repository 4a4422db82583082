// How `berth metrics` and `berth status` show traffic and usage figures.
import type { TrafficFigures, UsageFigures } from '../sdk/types.js';
import { formatDuration } from './output.js';

/** `12.3`, `0.05`, `1234`: enough digits to read, no more. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  if (perSecond < 0.1) return perSecond.toFixed(2);
  if (perSecond < 100) return perSecond.toFixed(1);
  return String(Math.round(perSecond));
}

/** `0%`, `0.4%`, `12%`; `-` without requests. */
export function formatErrorRate(rate: number, requests: number): string {
  if (requests === 0) return '-';
  const pct = rate * 100;
  if (pct === 0) return '0%';
  return pct < 10 ? `${pct.toFixed(1)}%` : `${Math.round(pct)}%`;
}

/** `0.8 ms`, `12 ms`, `1.5 s`; `-` when there is no figure. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One summary line: `2.3 req/s, 0.4% errors, p50 4.1 ms, p99 12 ms (690 requests)`. */
export function trafficLine(t: TrafficFigures): string {
  return (
    `${formatRate(t.requestsPerSecond)} req/s, ${formatErrorRate(t.errorRate, t.requests)} errors, ` +
    `p50 ${formatLatency(t.p50Ms)}, p99 ${formatLatency(t.p99Ms)} (${t.requests} request${t.requests === 1 ? '' : 's'})`
  );
}

/** The cells of one table row: REQ/S, ERRORS, P50, P99, REQUESTS, IN FLIGHT. */
export function trafficCells(t: TrafficFigures): string[] {
  return [
    formatRate(t.requestsPerSecond),
    formatErrorRate(t.errorRate, t.requests),
    formatLatency(t.p50Ms),
    formatLatency(t.p99Ms),
    String(t.requests),
    String(t.inFlight),
  ];
}

/** `1h2m machine time, 1234 requests, 0 schedule runs`. */
export function usageLine(u: UsageFigures): string {
  return (
    `${formatDuration(Math.floor(u.machineSeconds))} machine time, ${u.requests} request${u.requests === 1 ? '' : 's'}, ` +
    `${u.scheduleRuns} schedule run${u.scheduleRuns === 1 ? '' : 's'}`
  );
}
