// Exits as the Engine announces them: one long-lived events request, filtered to the `die` of
// this home's containers. A dropped stream (Engine restarted, socket closed) is reopened from
// the time of the last event seen, so exits in between are replayed rather than lost; the
// supervisor's periodic inspect remains the backstop.
import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { engineMessage } from './engine.js';
import { EngineMessageLines } from './engine-messages.js';
import { exitOfContainer } from './container-config.js';
import { LABEL } from './names.js';

export type ExitListener = (
  machineId: string,
  exit: { exitCode: number | null; signal: string | null },
) => void;

interface DieEvent {
  Type?: string;
  Action?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const REMEMBERED_EVENTS = 256;

export class ExitEvents {
  private stream: NodeJS.ReadableStream | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private since = Math.floor(Date.now() / 1000);
  private readonly seen = new Set<string>();
  private started = false;
  private closed = false;
  /** Logged once per outage, not on every retry. */
  private down = false;

  constructor(
    private readonly docker: Docker,
    private readonly home: string,
    private readonly log: (line: string) => void,
    private readonly onExit: ExitListener,
  ) {}

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const stream = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.stream = undefined;
    stream?.destroy?.();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({
        since: this.since,
        filters: { type: ['container'], event: ['die'], label: [`${LABEL.home}=${this.home}`] },
      } as Docker.GetEventsOptions);
    } catch (err) {
      this.retry(`cannot watch the Docker Engine's events (${engineMessage(err)})`);
      return;
    }
    if (this.closed) {
      (stream as IncomingMessage).destroy();
      return;
    }
    if (this.down) this.log('docker: watching container exits again');
    this.down = false;
    this.retryMs = RETRY_MIN_MS;
    this.stream = stream;
    // A watch must not keep the daemon (or a test) alive on its own.
    (stream as IncomingMessage).socket?.unref();
    const lines = new EngineMessageLines();
    stream.on('data', (chunk: Buffer) => {
      for (const message of lines.push(chunk)) this.take(message as unknown as DieEvent);
    });
    const ended = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.retry(why);
    };
    stream.on('end', () => ended('the Docker Engine closed its event stream'));
    stream.on('error', (err: Error) => ended(`the Docker Engine's event stream failed (${err.message})`));
  }

  private take(event: DieEvent): void {
    const attributes = event.Actor?.Attributes ?? {};
    const machineId = attributes[LABEL.machine];
    if (event.Action !== 'die' || machineId === undefined || attributes[LABEL.home] !== this.home) return;
    if (typeof event.time === 'number') this.since = Math.max(this.since, event.time);
    // A reconnect replays the second it resumes from.
    const key = `${event.Actor?.ID ?? ''}:${event.timeNano ?? event.time ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > REMEMBERED_EVENTS) this.seen.delete(this.seen.values().next().value!);
    const code = Number(attributes.exitCode);
    this.onExit(machineId, exitOfContainer(Number.isInteger(code) ? code : null));
  }

  private retry(why: string): void {
    if (this.closed) return;
    if (!this.down) this.log(`docker: ${why}; reconnecting`);
    this.down = true;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }
}
