// The proxy's counters for one app and release, laid out in one Float64Array so the request
// path only adds to numbers (nothing allocated): requests by status class, requests the client
// abandoned before any answer, in flight, body bytes each way, and a latency histogram with
// fixed buckets. The daemon copies them out only when metrics are read.

/** Upper bounds (milliseconds) of the latency buckets; one more bucket takes the rest (+Inf). */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
];

/** Requests answered 1xx … 5xx: slots 0 … 4. */
export const M_STATUS = 0;
/** Requests whose client went away before any answer. */
export const M_ABORTED = 5;
/** Requests (and WebSockets) being served right now: goes up and down. */
export const M_IN_FLIGHT = 6;
/** Request body bytes read from clients. */
export const M_BYTES_IN = 7;
/** Response body bytes sent to clients. */
export const M_BYTES_OUT = 8;
/** Sum of the latencies observed, in milliseconds. */
export const M_LATENCY_SUM = 9;
/** First latency bucket: LATENCY_BOUNDS_MS.length + 1 slots (not cumulative). */
export const M_LATENCY = 10;
export const METER_SIZE = M_LATENCY + LATENCY_BOUNDS_MS.length + 1;

/** Status classes in slot order, as the metrics label them. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** The slot counting a response status: its class, or M_ABORTED for 0 (no answer) and nonsense. */
export function statusSlot(status: number): number {
  const cls = (status / 100) | 0;
  return cls >= 1 && cls <= 5 ? M_STATUS + cls - 1 : M_ABORTED;
}

/** The latency bucket (slot offset from M_LATENCY) of a duration in milliseconds. */
export function latencyBucket(ms: number): number {
  const bounds = LATENCY_BOUNDS_MS;
  for (let i = 0; i < bounds.length; i++) if (ms <= bounds[i]!) return i;
  return bounds.length;
}

/** Counts one finished request: its status (0 when none was sent), latency and body bytes. */
export function countRequest(
  m: Float64Array,
  status: number,
  latencyMs: number,
  bytesIn: number,
  bytesOut: number,
): void {
  const slot = statusSlot(status);
  const bucket = M_LATENCY + latencyBucket(latencyMs);
  m[slot] = m[slot]! + 1;
  m[M_BYTES_IN] = m[M_BYTES_IN]! + bytesIn;
  m[M_BYTES_OUT] = m[M_BYTES_OUT]! + bytesOut;
  m[M_LATENCY_SUM] = m[M_LATENCY_SUM]! + latencyMs;
  m[bucket] = m[bucket]! + 1;
}

/** Every request counted so far (answered or abandoned). */
export function requestCount(m: ArrayLike<number>): number {
  let n = 0;
  for (let i = M_STATUS; i <= M_ABORTED; i++) n += m[i]!;
  return n;
}

/** Adds `from` into `into`, slot by slot. */
export function addMeter(into: Float64Array, from: ArrayLike<number>): void {
  const n = Math.min(into.length, from.length);
  for (let i = 0; i < n; i++) into[i] = into[i]! + from[i]!;
}
