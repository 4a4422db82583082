// Who an event is by: the API request's user for everything that request sets going (a deploy's
// machines included), nobody (the daemon itself) for what the supervisor, auto-stopper and waker
// do on their own. Carried through async calls so no operation has to pass it along.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();

/** Runs fn, and everything it sets going, on behalf of `actor`. */
export function runAs<T>(actor: string, fn: () => T): T {
  return scope.run(actor, fn);
}

/** Runs fn as the daemon itself, whoever's work happened to wake it. */
export function asDaemon<T>(fn: () => T): T {
  return scope.exit(fn);
}

export function currentActor(): string | undefined {
  return scope.getStore();
}
