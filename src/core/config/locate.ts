// Where a key path sits in TOML text, for diagnostics. Not a parser: a line scanner that knows
// [table] and [[array]] headers, `key = value` lines (dotted and quoted keys too), and enough
// of strings and brackets to skip values that span lines. Good for the line of most keys; a
// path it cannot find falls back to its closest ancestor it can (a missing key -> its table).

import type { Locate } from './reader.js';

type Position = { line: number; column: number };

const BARE = /^[A-Za-z0-9_-]+/;

export function locatorFor(text: string): Locate {
  const positions = scan(text);
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const at = positions.get(path.slice(0, n).join('\0'));
      if (at) return at;
    }
    return undefined;
  };
}

function scan(text: string): Map<string, Position> {
  const positions = new Map<string, Position>();
  const arrayCounts = new Map<string, number>(); // concrete path of an [[array]] -> entries so far
  let table: string[] = [];
  let pending = ''; // an unfinished multi-line string or bracket, carried to the next line

  const record = (path: string[], position: Position) => {
    for (let n = 1; n <= path.length; n++) {
      const key = path.slice(0, n).join('\0');
      if (!positions.has(key)) positions.set(key, position);
    }
  };
  // A header's keys name arrays of tables by their latest entry: [[services]] then
  // [[services.ports]] means services.<last>.ports.
  const concrete = (keys: string[]) => {
    const out: string[] = [];
    for (const key of keys) {
      out.push(key);
      const count = arrayCounts.get(out.join('\0'));
      if (count !== undefined) out.push(String(count - 1));
    }
    return out;
  };

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (pending) {
      pending = skipValue(raw, 0, pending);
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    const rest = raw.slice(indent);
    const header = /^(\[\[?)\s*/.exec(rest);
    if (header?.[1]) {
      const keys = readKey(rest, header[0].length);
      if (!keys) return;
      if (header[1] === '[[') {
        const path = concrete(keys.keys.slice(0, -1));
        path.push(keys.keys[keys.keys.length - 1] ?? '');
        const id = path.join('\0');
        const count = (arrayCounts.get(id) ?? 0) + 1;
        arrayCounts.set(id, count);
        table = [...path, String(count - 1)];
      } else {
        table = concrete(keys.keys);
      }
      record(table, { line, column: indent + 1 });
      return;
    }
    const keys = readKey(rest, 0);
    if (!keys || rest[keys.end] !== '=') return;
    record([...table, ...keys.keys], { line, column: indent + 1 });
    pending = skipValue(rest, keys.end + 1, '');
  });
  return positions;
}

/** A dotted key at `start` (bare or quoted parts), and where it ends (after trailing spaces). */
function readKey(text: string, start: number): { keys: string[]; end: number } | undefined {
  const keys: string[] = [];
  let i = start;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, i + 1);
      if (close < 0) return undefined;
      keys.push(text.slice(i + 1, close));
      i = close + 1;
    } else {
      const bare = BARE.exec(text.slice(i))?.[0];
      if (!bare) return undefined;
      keys.push(bare);
      i += bare.length;
    }
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '.') return { keys, end: i };
    i++;
  }
}

/**
 * Walk a value from `start`, given what was left open before it (`state`: open brackets and
 * at most one open multi-line string, as a string such as "[{" or '"""'). Returns what is
 * still open at the end of the line.
 */
function skipValue(text: string, start: number, state: string): string {
  let open = state;
  let i = start;
  while (i < text.length) {
    const tail = open.slice(-3);
    if (tail === '"""' || tail === "'''") {
      const close = text.indexOf(tail, i);
      if (close < 0) return open;
      open = open.slice(0, -3);
      i = close + 3;
      continue;
    }
    const c = text[i] ?? '';
    if (c === '#') break;
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      open += text.slice(i, i + 3);
      i += 3;
    } else if (c === '"' || c === "'") {
      i = endOfString(text, i);
    } else if (c === '[' || c === '{') {
      open += c;
      i++;
    } else if (c === ']' || c === '}') {
      open = open.slice(0, -1);
      i++;
    } else {
      i++;
    }
  }
  return open;
}

function endOfString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}
