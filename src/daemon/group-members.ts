// Which machines make up a process group's size: the managed ones, stopped ones included (as
// deploys count them), without those on their way out. Scale, clone and a scale-up finished
// after a restart all record a group's size from this one list.
import type { Machine } from '../store/machines.js';
import type { Store } from '../store/store.js';

export function groupMembers(store: Store, app: string, group: string): Machine[] {
  return store.machines
    .listByApp(app)
    .filter((m) => m.managed && m.processGroup === group && m.state !== 'stopping');
}
