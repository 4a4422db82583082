// The edge proxy's limits: how long it waits on machines and clients, how many requests wait
// for a machine that is full, and whose forwarding headers it believes. The defaults follow
// what production proxies ship with (nginx's 60 s read timeouts, Envoy's 5 s connect timeout
// and 1024 pending requests, Kestrel's 240 bytes/s minimum request body rate).
import type { Cidr } from '../core/net/cidr.js';

export interface ProxyLimits {
  /** Connecting to a machine: past this the next machine is tried, else 502. */
  connectTimeoutMs: number;
  /** From the request being sent in full to the response's status line and headers: 504. */
  responseHeaderTimeoutMs: number;
  /**
   * Longest pause in a response body (machine not sending, or client not reading), and longest
   * a machine may leave a request body unread: the exchange is cut off.
   */
  responseIdleTimeoutMs: number;
  /** Longest pause between two reads of a client's request body: 408. */
  requestBodyTimeoutMs: number;
  /** Slowest average request body rate, bytes/s, after a 5 s grace period (0: none): 408. */
  requestBodyMinRate: number;
  /** Longest a request waits for a machine under its concurrency hard_limit: 503. */
  queueTimeoutMs: number;
  /** Requests waiting per app; more get 503 at once. */
  queueLimit: number;
  /** Peers whose X-Forwarded-For, Forwarded and X-Real-IP are believed (others' are replaced). */
  trustedProxies: readonly Cidr[];
}

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  connectTimeoutMs: 5_000,
  responseHeaderTimeoutMs: 60_000,
  responseIdleTimeoutMs: 60_000,
  requestBodyTimeoutMs: 60_000,
  requestBodyMinRate: 240,
  queueTimeoutMs: 10_000,
  queueLimit: 1024,
  trustedProxies: [],
};

/** The grace period before the minimum body rate applies (slow starts are normal). */
export const BODY_RATE_GRACE_MS = 5_000;

/**
 * How often the proxy's one deadline sweep runs: a quarter of the shortest limit, so each
 * fires at most a quarter late, and never more often than every 10 ms.
 */
export function sweepIntervalMs(limits: ProxyLimits): number {
  const shortest = Math.min(
    limits.responseHeaderTimeoutMs,
    limits.responseIdleTimeoutMs,
    limits.requestBodyTimeoutMs,
    limits.queueTimeoutMs,
    limits.requestBodyMinRate > 0 ? BODY_RATE_GRACE_MS : Infinity,
  );
  return Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
}

/** `5000` → `5s`, `1500` → `1.5s`: for messages. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
