// A ring of readings of every app and release's proxy counters, one per tick (10 s), an hour
// deep: `berth metrics` compares now with five minutes ago, and the dashboard plots requests,
// errors and p99 per release from consecutive readings. Kept in memory: a restarted daemon
// starts a new hour.
import { METER_SIZE } from './meter.js';

/** `app` and `release` (0: requests the proxy answered without a machine) name a meter. */
export interface MeterKey {
  app: string;
  release: number;
}

interface Reading {
  at: number;
  /** `app\0release` → cumulative counters at `at`. */
  values: Map<string, Float64Array>;
}

export const RING_TICK_MS = 10_000;
export const RING_READINGS = 360;

export function meterKey(app: string, release: number): string {
  return `${app}\u0000${release}`;
}

export function parseMeterKey(key: string): MeterKey {
  const sep = key.indexOf('\u0000');
  return { app: key.slice(0, sep), release: Number(key.slice(sep + 1)) };
}

const ZERO = new Float64Array(METER_SIZE);

export class MeterRing {
  private readonly readings: (Reading | undefined)[];
  private next = 0;

  constructor(private readonly capacity = RING_READINGS) {
    this.readings = new Array<Reading | undefined>(capacity);
  }

  /** Records the counters at `at` (copied: the caller keeps counting into its arrays). */
  record(at: number, values: ReadonlyMap<string, ArrayLike<number>>): void {
    const copy = new Map<string, Float64Array>();
    for (const [key, v] of values) copy.set(key, Float64Array.from(v));
    this.readings[this.next] = { at, values: copy };
    this.next = (this.next + 1) % this.capacity;
  }

  /** Readings oldest first. */
  private ordered(): Reading[] {
    const out: Reading[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const r = this.readings[(this.next + i) % this.capacity];
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /**
   * The latest reading at or before `at`, else the oldest one there is; a meter missing from
   * it (made since) reads as zero. Undefined before the first reading.
   */
  baseline(at: number): { at: number; value: (key: string) => Float64Array } | undefined {
    const all = this.ordered();
    if (all.length === 0) return undefined;
    let pick = all[0]!;
    for (const r of all) if (r.at <= at) pick = r;
    return { at: pick.at, value: (key) => pick.values.get(key) ?? ZERO };
  }

  /** Consecutive readings since `from` (inclusive of the one just before it), oldest first. */
  since(from: number): { at: number; values: ReadonlyMap<string, Float64Array> }[] {
    const all = this.ordered();
    let start = 0;
    for (let i = 0; i < all.length; i++) if (all[i]!.at <= from) start = i;
    return all.slice(start);
  }
}
