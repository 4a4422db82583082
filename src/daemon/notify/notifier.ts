// Sends notifications: every event that notificationFor() picks is written as one pending
// delivery per target (the current release's [notify] URLs and those added with `berth notify
// add`), then POSTed in the background with retries and backoff. Deliveries are rows, so a
// restart loses none; nothing here is awaited by a deploy, a wake or the proxy.
import { createHmac } from 'node:crypto';
import type { BerthEvent } from '../../core/model.js';
import type { NotifyKind } from '../../core/notify/kinds.js';
import {
  displayUrl,
  nextAttemptDelayMs,
  notificationFor,
  type Notification,
  type Payload,
} from '../../core/notify/notification.js';
import { redactSecrets } from '../../core/redact.js';
import type { SecretVault } from '../../secrets/vault.js';
import type { Delivery } from '../../store/notifications.js';
import type { Store } from '../../store/store.js';
import type { MachineSupervisor } from '../supervisor.js';

const POLL_MS = 500;
const SEND_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 30;
/** The name the signing key of a `notify add` target is sealed under. */
export const TARGET_SECRET_NAME = 'notify_secret';

export interface NotifierDeps {
  store: Store;
  secrets: SecretVault;
  supervisor: MachineSupervisor;
  log: (line: string) => void;
}

export class Notifier {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private sending = false;

  constructor(private readonly deps: NotifierDeps) {}

  start(): void {
    this.unsubscribe = this.deps.store.events.subscribe((event) => {
      const notification = notificationFor(event);
      // Off the caller's path: the event's writer (a deploy, the proxy's wake) goes on at once.
      if (notification) setImmediate(() => void this.enqueue(event, notification).catch(() => {}));
    });
    this.timer = setInterval(() => void this.sendDue(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  private async enqueue(event: BerthEvent, notification: Notification): Promise<void> {
    const { store } = this.deps;
    const app = notification.app;
    if (!store.apps.get(app)) return;
    const targets: { url: string; targetId: number | null; secretName: string | null }[] = [];
    const config = this.currentConfig(app)?.notify;
    if (config?.events.includes(notification.kind)) {
      for (const url of config.urls) targets.push({ url, targetId: null, secretName: config.secret ?? null });
    }
    for (const target of store.notifications.targets(app)) {
      if (target.events.includes(notification.kind))
        targets.push({ url: target.url, targetId: target.id, secretName: null });
    }
    if (targets.length === 0) return;
    const payload: Payload = {
      ...notification,
      eventId: event.id,
      at: event.at,
      logTail: await this.logTail(notification),
    };
    const body = JSON.stringify(payload);
    for (const t of targets)
      store.notifications.enqueue({ app, kind: notification.kind, payload: body, ...t });
    void this.sendDue();
  }

  private currentConfig(app: string) {
    const version = this.deps.store.apps.get(app)?.currentRelease;
    return version === null || version === undefined
      ? undefined
      : this.deps.store.releases.get(app, version)?.config;
  }

  /** The run's kept tail, or the machine's last lines; secret values blanked either way. */
  private async logTail(n: Notification): Promise<string | null> {
    let text: string | null = null;
    if (n.schedule) text = this.deps.store.scheduleRuns.get(n.schedule.runId)?.logTail ?? null;
    else if (n.machine) {
      const lines = await this.deps.supervisor.recentLogLines(n.machine, LOG_TAIL_LINES).catch(() => []);
      text = lines.length > 0 ? lines.join('\n') : null;
    }
    if (text === null) return null;
    const tail = text.split('\n').slice(-LOG_TAIL_LINES).join('\n');
    return redactSecrets(tail, Object.values(this.secretValues(n.app)));
  }

  private secretValues(app: string): Record<string, string> {
    try {
      return this.deps.secrets.envFor(app);
    } catch {
      return {};
    }
  }

  private async sendDue(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const due = this.deps.store.notifications.due(Date.now(), 10);
        if (due.length === 0) return;
        // One at a time per daemon: a slow receiver delays other notifications, never berth.
        for (const delivery of due) await this.send(delivery);
      }
    } finally {
      this.sending = false;
    }
  }

  private async send(delivery: Delivery): Promise<void> {
    const { store } = this.deps;
    const attempts = delivery.attempts + 1;
    const shown = displayUrl(delivery.url);
    let error: string;
    let retry = true;
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'berth-notify',
        'x-berth-event': delivery.kind,
        'x-berth-delivery': String(delivery.id),
      };
      const key = this.signingKey(delivery);
      if (key)
        headers['x-berth-signature'] =
          `sha256=${createHmac('sha256', key).update(delivery.payload).digest('hex')}`;
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers,
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        store.notifications.delivered(delivery.id, attempts);
        store.events.append({
          app: delivery.app,
          kind: 'notify.delivered',
          message: `notification ${delivery.kind} delivered to ${shown} (attempt ${attempts}, HTTP ${res.status})`,
          data: { deliveryId: delivery.id, notifyKind: delivery.kind, attempts, status: res.status },
        });
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof SigningKeyMissing) {
        error = err.message;
        retry = false;
      } else {
        error =
          err instanceof Error
            ? err.name === 'TimeoutError'
              ? 'no answer within 10 s'
              : err.message
            : String(err);
      }
    }
    const delay = retry ? nextAttemptDelayMs(attempts) : undefined;
    store.notifications.attemptFailed(
      delivery.id,
      attempts,
      error,
      delay === undefined ? undefined : Date.now() + delay,
    );
    store.events.append({
      app: delivery.app,
      kind: 'notify.failed',
      message:
        `notification ${delivery.kind} to ${shown} failed (attempt ${attempts}: ${error}); ` +
        (delay === undefined ? 'giving up' : `trying again in ${Math.round(delay / 1000)} s`),
      data: {
        deliveryId: delivery.id,
        notifyKind: delivery.kind,
        attempts,
        error,
        final: delay === undefined,
      },
    });
  }

  private signingKey(delivery: Delivery): string | undefined {
    if (delivery.targetId !== null) {
      const sealed = this.deps.store.notifications.target(delivery.targetId)?.secretSealed;
      if (!sealed) return undefined;
      return this.deps.secrets.openMachineEnv(delivery.app, { [TARGET_SECRET_NAME]: sealed })[
        TARGET_SECRET_NAME
      ];
    }
    if (!delivery.secretName) return undefined;
    const value = this.secretValues(delivery.app)[delivery.secretName];
    if (value === undefined) {
      throw new SigningKeyMissing(
        `[notify] secret names ${delivery.secretName}, which the app does not have; set it with \`berth secrets set ${delivery.secretName}=...\``,
      );
    }
    return value;
  }
}

class SigningKeyMissing extends Error {}

export type { NotifyKind };
