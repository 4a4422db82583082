// `berth apps create`: an app with no release yet. It is routed at once (to no machine, so a
// request gets the proxy's "no release yet" answer rather than "unknown app"), and the event
// log says who created it. A first deploy creates its app the same way (see Deployer).
import { assertAppName } from '../core/app-name.js';
import { BerthError } from '../core/errors.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { App } from '../core/model.js';
import type { Store } from '../store/store.js';

export class AppCreator {
  constructor(
    private readonly store: Store,
    private readonly routes: RouteTable,
  ) {}

  /** Creates `name`, refusing a name that is taken or is not a DNS label. */
  create(name: string, user: string): App {
    assertAppName(name);
    if (!this.store.apps.create(name, user)) {
      throw new BerthError('app_exists', `app "${name}" already exists`);
    }
    this.routes.setBackends(name, []);
    this.store.events.append({ app: name, kind: 'app.created', message: `app ${name} created by ${user}` });
    return this.store.apps.get(name)!;
  }
}
