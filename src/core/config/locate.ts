// Where a key path sits in TOML text, for diagnostics. Not a parser: a line scanner that knows
// [table] and [[array]] headers, `key = value` lines (dotted and quoted keys too), and enough
// of strings and brackets to skip values that span lines. Good for the line of most keys; a
// path it cannot find falls back to its closest ancestor it can (a missing key -> its table).
//
// The work is linear in the text: keys go into a tree walked one part at a time, never into a
// map of joined prefixes (a 25,000-part dotted key would make that quadratic), and nothing
// re-slices the rest of a line per part.

import type { Locate } from './reader.js';

type Position = { line: number; column: number };

/** One key of the document: where it first appears, its keys, and its entries if an [[array]]. */
interface KeyNode {
  at: Position;
  /** The only key below, until a second one makes `children`: most keys have one or none. */
  onlyKey?: string;
  only?: KeyNode;
  children?: Map<string, KeyNode>;
  /** For [[array]] tables: entries so far; a header below names the latest one. */
  entries?: number;
}

const BARE = /[A-Za-z0-9_-]+/y;

/** More parts than any real config writes; deeper keys are refused before the TOML parser runs. */
export const MAX_KEY_PARTS = 32;

export interface KeyIndex {
  locate: Locate;
  /** The first key or header with more than MAX_KEY_PARTS parts, if any. */
  tooDeep?: { parts: number; line: number; column: number };
}

export function locatorFor(text: string): Locate {
  return indexKeys(text).locate;
}

/** One pass over the text: where each key is, and whether any key is deeper than berth reads. */
export function indexKeys(text: string): KeyIndex {
  const { root, tooDeep } = scan(text);
  const locate: Locate = (path) => {
    let node: KeyNode | undefined = root;
    let found: Position | undefined;
    for (const key of path) {
      node = below(node, key);
      if (!node) break;
      found = node.at;
    }
    return found;
  };
  return tooDeep ? { locate, tooDeep } : { locate };
}

function below(node: KeyNode, key: string): KeyNode | undefined {
  return node.children ? node.children.get(key) : node.onlyKey === key ? node.only : undefined;
}

/** The child `key` of `node`, made (at `at`) when it is the first time the key appears. */
function child(node: KeyNode, key: string, at: Position): KeyNode {
  const known = below(node, key);
  if (known) return known;
  const made: KeyNode = { at };
  if (node.children) {
    node.children.set(key, made);
  } else if (node.only === undefined) {
    node.onlyKey = key;
    node.only = made;
  } else {
    node.children = new Map([
      [node.onlyKey ?? '', node.only],
      [key, made],
    ]);
    node.onlyKey = undefined;
    node.only = undefined;
  }
  return made;
}

function scan(text: string): { root: KeyNode; tooDeep?: KeyIndex['tooDeep'] } {
  const root: KeyNode = { at: { line: 0, column: 0 } };
  let tooDeep: KeyIndex['tooDeep'];
  let table = root;
  let open: string[] = []; // an unfinished multi-line string or brackets, carried to the next line

  // A header's keys name arrays of tables by their latest entry: [[services]] then
  // [[services.ports]] means services.<last>.ports.
  const concrete = (keys: string[], at: Position): KeyNode => {
    let node = root;
    for (const key of keys) {
      node = child(node, key, at);
      if (node.entries !== undefined) node = child(node, String(node.entries - 1), at);
    }
    return node;
  };

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (open.length > 0) {
      open = skipValue(raw, 0, open);
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    const rest = raw.slice(indent);
    const at = { line, column: indent + 1 };
    const header = /^(\[\[?)\s*/.exec(rest);
    if (header?.[1]) {
      const keys = readKey(rest, header[0].length);
      if (!keys) return;
      if (keys.keys.length > MAX_KEY_PARTS) {
        tooDeep ??= { parts: keys.keys.length, ...at };
        return;
      }
      if (header[1] === '[[') {
        const array = child(concrete(keys.keys.slice(0, -1), at), keys.keys[keys.keys.length - 1] ?? '', at);
        array.entries = (array.entries ?? 0) + 1;
        table = child(array, String(array.entries - 1), at);
      } else {
        table = concrete(keys.keys, at);
      }
      return;
    }
    const keys = readKey(rest, 0);
    if (!keys || rest[keys.end] !== '=') return;
    if (keys.keys.length > MAX_KEY_PARTS) tooDeep ??= { parts: keys.keys.length, ...at };
    let node = table;
    for (const key of tooDeep ? [] : keys.keys) node = child(node, key, at);
    open = skipValue(rest, keys.end + 1, []);
  });
  return tooDeep ? { root, tooDeep } : { root };
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
      BARE.lastIndex = i;
      const bare = BARE.exec(text)?.[0];
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
 * at most one open multi-line string, innermost last, e.g. ['[', '{'] or ['"""']). Returns what
 * is still open at the end of the line.
 */
function skipValue(text: string, start: number, state: string[]): string[] {
  const open = state;
  let i = start;
  while (i < text.length) {
    const top = open[open.length - 1];
    if (top === '"""' || top === "'''") {
      const close = text.indexOf(top, i);
      if (close < 0) return open;
      open.pop();
      i = close + 3;
      continue;
    }
    const c = text[i] ?? '';
    if (c === '#') break;
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      open.push(text.slice(i, i + 3));
      i += 3;
    } else if (c === '"' || c === "'") {
      i = endOfString(text, i);
    } else if (c === '[' || c === '{') {
      open.push(c);
      i++;
    } else if (c === ']' || c === '}') {
      open.pop();
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
