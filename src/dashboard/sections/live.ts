// Live output and events: both routes stream NDJSON with ?follow=1, read here with fetch and
// a ReadableStream; the newest lines stay in view, the oldest are dropped past a limit.
import { follow } from '../api.js';
import { h, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import type { BerthEvent, LogRecord } from '../types.js';

const KEEP = 500;
const RECONNECT_MS = 2000;

class LiveList<T> {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly problem = h('div');

  constructor(title: string, className: string) {
    this.list = h('ol', { class: `live ${className}` });
    this.element = h('section', { class: className }, h('h2', {}, title), this.problem, this.list);
  }

  /**
   * Follows `path(first)` and, when the stream ends (a daemon restart) or fails, follows it
   * again after a pause (first = false) until the page is left.
   */
  start(
    path: (first: boolean) => string,
    render: (record: T) => HTMLElement,
    signal: AbortSignal,
    onRecord?: (record: T) => void,
    isNew: (record: T) => boolean = () => true,
  ): void {
    const show = (record: T) => {
      if (!isNew(record)) return;
      replace(this.problem);
      const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
      this.list.append(render(record));
      while (this.list.childElementCount > KEEP) this.list.firstElementChild!.remove();
      if (atBottom) this.list.scrollTop = this.list.scrollHeight;
      onRecord?.(record);
    };
    void (async () => {
      for (let first = true; !signal.aborted; first = false) {
        try {
          await follow<T>(path(first), show, signal);
        } catch (err) {
          if (!signal.aborted) replace(this.problem, errorBox(err));
        }
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    })();
  }
}

export function liveLogs(app: string, signal: AbortSignal): HTMLElement {
  const logs = new LiveList<LogRecord>('Logs', 'logs');
  // Back after a pause: only the lines from then on.
  logs.start(
    (first) => `/v1/apps/${encodeURIComponent(app)}/logs?follow=1&lines=${first ? 200 : 0}`,
    (r) =>
      h(
        'li',
        { class: `stream-${r.stream}` },
        h('span', { class: 'meta' }, `${r.time.slice(11, 19)} ${r.machine.slice(0, 8)} v${r.release}`),
        ' ',
        r.line,
      ),
    signal,
  );
  return logs.element;
}

/** Events as they happen; `onEvent` lets the page refresh what an event changed. */
export function liveEvents(app: string, signal: AbortSignal, onEvent: () => void): HTMLElement {
  const events = new LiveList<BerthEvent>('Events', 'events');
  // Back after a pause, the newest events are replayed: those already shown are left out.
  let lastId = 0;
  events.start(
    () => `/v1/events?app=${encodeURIComponent(app)}&follow=1&lines=100`,
    (e) =>
      h(
        'li',
        { 'data-kind': e.kind },
        h('span', { class: 'meta' }, `${new Date(e.at).toLocaleTimeString()} ${e.kind}`),
        ' ',
        e.message,
      ),
    signal,
    onEvent,
    (e) => {
      if (e.id <= lastId) return false;
      lastId = e.id;
      return true;
    },
  );
  return events.element;
}
