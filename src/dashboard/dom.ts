// A few DOM helpers: elements built from data (text is always text, never HTML) and the
// ways the pages show times.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
  return el;
}

export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
}

/** "3m ago", "2h ago", from an ISO time. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  return `${duration((now - Date.parse(iso)) / 1000)} ago`;
}

/** "45s", "12m", "3h 5m", "2d 4h". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function time(iso: string): HTMLTimeElement {
  return h('time', { datetime: iso, title: iso }, new Date(iso).toLocaleString());
}

/** A state as a coloured badge (the CSS colours it by its class). */
export function badge(state: string): HTMLSpanElement {
  return h('span', { class: `badge state-${state.replace(/[^a-z-]/g, '')}` }, state);
}
