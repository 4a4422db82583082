// Holding requests for an app that has no started machine while one wakes. The first request
// starts the wake; every request that arrives meanwhile shares it. Each held request goes on
// (or gets its 503) when the wake settles, gives up at its own hold limit, and is dropped
// without a word if its client goes away first. What a wake does is the daemon's business
// (daemon/waker.ts); the gate only holds and releases.
import type { EventEmitter } from 'node:events';

export type WakeOutcome =
  /** A machine now takes traffic: route the request again. */
  | { woken: true }
  /** `reason` is the 503's body; absent means the proxy's usual "no running machine" answer. */
  | { woken: false; reason?: string };

export type WakeFn = (app: string) => Promise<WakeOutcome>;

export interface WakeGateOptions {
  /** Longest a request is held, whatever the wake does (its own deadline is usually shorter). */
  maxHoldMs?: number;
  /** Where a wake that threw is reported (the 503 only says that it failed). */
  log?: (line: string) => void;
}

export class WakeGate {
  private readonly wakes = new Map<string, Promise<WakeOutcome>>();
  private readonly maxHoldMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly wake: WakeFn,
    options: WakeGateOptions = {},
  ) {
    this.maxHoldMs = options.maxHoldMs ?? 65_000;
    this.log = options.log ?? (() => {});
  }

  /**
   * Holds one request (or upgrade) for `app`. `client` is its response or socket: when it
   * closes first, the request is dropped. `then` runs at most once.
   */
  hold(app: string, client: EventEmitter, then: (outcome: WakeOutcome) => void): void {
    const wake = this.wakeFor(app);
    let done = false;
    const settle = (outcome: WakeOutcome | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.off('close', onClose);
      if (outcome !== undefined) then(outcome);
    };
    const onClose = () => settle(undefined);
    const timer = setTimeout(
      () =>
        settle({
          woken: false,
          reason:
            `berth: app "${app}" was starting a machine for this request, but it was not ready within ${Math.round(this.maxHoldMs / 1000)}s.\n` +
            `\`berth status -a ${app}\` and \`berth logs -a ${app}\` show what it is doing.\n`,
        }),
      this.maxHoldMs,
    );
    client.once('close', onClose);
    void wake.then(settle);
  }

  private wakeFor(app: string): Promise<WakeOutcome> {
    const running = this.wakes.get(app);
    if (running) return running;
    const wake = this.wake(app)
      .catch((err: unknown): WakeOutcome => {
        this.log(`app ${app}: waking a machine failed: ${String(err)}`);
        return {
          woken: false,
          reason: `berth: app "${app}" could not start a machine for this request; the daemon's log says why.\n`,
        };
      })
      .finally(() => {
        if (this.wakes.get(app) === wake) this.wakes.delete(app);
      });
    this.wakes.set(app, wake);
    return wake;
  }
}
