// Who is logged in, and what their role lets the page offer: a viewer sees no write buttons
// (the API refuses the writes anyway).
import type { Session } from './types.js';

let current: Session | undefined;

export function setSession(session: Session | undefined): void {
  current = session;
}

export function session(): Session | undefined {
  return current;
}

/** Deploy, roll back: admin, or a deployer on one of its token's apps (all when it names none). */
export function canDeploy(app: string): boolean {
  if (current?.role === 'admin') return true;
  return current?.role === 'deployer' && (!current.apps || current.apps.includes(app));
}

/** Stop and remove an app, as `berth apps destroy`: admin only. */
export function canDestroy(): boolean {
  return current?.role === 'admin';
}
