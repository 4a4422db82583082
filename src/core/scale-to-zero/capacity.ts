// When the started machines are all full: every one serves as many requests as the service's
// concurrency hard_limit allows. Then a stopped machine is worth starting before the next
// request has to queue.

export function wantsAnotherMachine(inFlight: readonly number[], hardLimit: number | undefined): boolean {
  if (hardLimit === undefined || inFlight.length === 0) return false;
  return inFlight.every((n) => n >= hardLimit);
}
