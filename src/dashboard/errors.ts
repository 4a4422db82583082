// An API error as the page shows it: its message, then its hint.
import { ApiError } from './api.js';
import { h } from './dom.js';

export function errorBox(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof ApiError ? err.hint : '';
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, message),
    hint && h('p', { class: 'hint' }, hint),
  );
}
