// Session routes on the API's server: an HTTP Upgrade to berth-session/1, with the same token
// and the same router as every other call. Until the handler accepts, a refusal is an ordinary
// coded HTTP error; after, it is the session's error frame.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { BerthError, isBerthError } from '../core/errors.js';
import { SESSION_PROTOCOL } from '../core/session-frames.js';
import { requestUrl, writeAndClose } from './http-refusals.js';
import type { Route, Router } from './router.js';
import type { TokenOwner } from '../store/tokens.js';
import { SessionChannel } from './session-channel.js';
import { runAs } from '../store/actor.js';

export function acceptSessions(
  server: Server,
  router: Router,
  /** The request's token, checked against the route's right before the upgrade is accepted. */
  principalFor: (
    header: string | undefined,
    route: Route,
    params: Record<string, string>,
    query: URLSearchParams,
  ) => TokenOwner,
  log: (line: string) => void,
): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    let channel: SessionChannel | undefined;
    void (async () => {
      const protocol = (req.headers.upgrade ?? '').toLowerCase();
      if (protocol !== SESSION_PROTOCOL) {
        throw new BerthError('upgrade_required', `the API upgrades connections only to ${SESSION_PROTOCOL}`);
      }
      const url = requestUrl(req.url ?? '/');
      const { route, params } = router.match(req.method ?? 'GET', url.pathname);
      const principal = principalFor(req.headers.authorization, route, params, url.searchParams);
      const user = principal.name;
      if (!route.upgrade) {
        throw new BerthError('invalid_request', `${url.pathname} takes no upgraded connection`, {
          hint: 'Send it as a plain request; only `run`, `exec` and `console` are sessions.',
        });
      }
      // What the session causes (its machine's start, exit, removal) is recorded as by `user`.
      await runAs(user, () =>
        route.handler({
          params,
          query: url.searchParams,
          body: undefined,
          user,
          principal,
          req,
          // Session handlers write frames, never a response.
          res: undefined as never,
          upgrade: () => (channel = SessionChannel.accept(socket, head)),
        }),
      );
    })().catch((err: unknown) => {
      if (!isBerthError(err))
        log(`internal error in session ${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
      if (channel) channel.fail(err);
      else
        writeAndClose(
          socket,
          isBerthError(err) ? err : new BerthError('internal', 'the daemon failed to start this session'),
        );
    });
  });
}
