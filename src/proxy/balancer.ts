// Least-in-flight balancing: send the request to the machine serving the fewest right now.
// Ties (the common case at low load) go round-robin: the scan starts at a rotating offset and
// keeps the first minimum it meets, so equal machines take turns.

/**
 * Pick the backend with the fewest requests in flight, scanning from `start` (any integer; a
 * counter the caller bumps per pick) so that ties rotate. Undefined when there is none.
 */
export function leastInFlight<T extends { readonly inFlight: number }>(
  backends: readonly T[],
  start: number,
): T | undefined {
  const n = backends.length;
  if (n <= 1) return backends[0];
  let i = start % n;
  if (i < 0) i += n;
  let best = backends[i]!;
  for (let k = 1; k < n && best.inFlight > 0; k++) {
    i = i + 1 === n ? 0 : i + 1;
    const candidate = backends[i]!;
    if (candidate.inFlight < best.inFlight) best = candidate;
  }
  return best;
}
