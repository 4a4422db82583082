// A histogram with fixed bucket bounds, for the daemon's slower events (deploys, wakes,
// schedule runs): counts per bucket (not cumulative) and a sum, read out by metrics.

/** Bounds in seconds, from a fast wake to a slow deploy. */
export const SECONDS_BOUNDS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class FixedHistogram {
  /** One slot per bound, and one more for the rest (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = SECONDS_BOUNDS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i] = this.counts[i]! + 1;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound (`le`), +Inf last: the exposition's `_bucket` series. */
  cumulative(): { le: string; count: number }[] {
    const out: { le: string; count: number }[] = [];
    let running = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      running += this.counts[i]!;
      out.push({ le: i < this.bounds.length ? String(this.bounds[i]) : '+Inf', count: running });
    }
    return out;
  }
}
