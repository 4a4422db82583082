// "Did you mean": the known name nearest to a misspelt one, for unknown config keys. Near means
// at most one edit (insert, delete, replace, or swap of two neighbours) per four letters, with
// case and "-" for "_" free, so `internal_prot` finds `internal_port` and `app` finds nothing
// in `vm`.

/** The known name nearest to `word`, or undefined when none is near enough. */
export function nearestName(word: string, known: readonly string[]): string | undefined {
  // Long words are not typos of config keys, and would cost time on hostile input.
  if (word.length === 0 || word.length > 64) return undefined;
  const plain = canonical(word);
  const limit = Math.max(1, Math.floor(plain.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of known) {
    if (name === word) continue;
    const other = canonical(name);
    if (Math.abs(other.length - plain.length) >= bestDistance) continue;
    const distance = editDistance(plain, other, bestDistance);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/**
 * Optimal string alignment distance between a and b, or `cap` as soon as it is known to be
 * at least that: rows whose smallest value reaches `cap` end the search.
 */
function editDistance(a: string, b: string, cap: number): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= cap) return cap;
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, cap);
}

/** The hint for an unknown key: the near name when there is one, else `otherwise`. */
export function unknownKeyHint(key: string, known: readonly string[], otherwise: string): string {
  const near = nearestName(key, known);
  return near === undefined ? otherwise : `Did you mean "${near}"? If not, remove it.`;
}
