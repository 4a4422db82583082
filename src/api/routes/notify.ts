// Notification targets of an app: those of its current release's [notify], and those added
// with `berth notify add` (a signing key, if given, is sealed and never shown again).
import { BerthError } from '../../core/errors.js';
import { isNotifyKind, NOTIFY_KINDS, notifyUrlProblem } from '../../core/notify/kinds.js';
import { displayUrl } from '../../core/notify/notification.js';
import { TARGET_SECRET_NAME } from '../../daemon/notify/notifier.js';
import type { NotifyTarget } from '../../store/notifications.js';
import { requireApp } from '../lookups.js';
import { route, type Route } from '../router.js';
import {
  NotifyAddBody,
  NotifyTargetResponse,
  NotifyTargetsResponse,
  type NotifyTargetInfo,
} from '../schedule-schemas.js';
import type { ApiServices } from '../services.js';

function targetView(t: NotifyTarget): NotifyTargetInfo {
  return {
    id: t.id,
    url: displayUrl(t.url),
    signed: t.secretSealed !== null,
    events: t.events,
    source: 'cli',
    createdAt: t.createdAt,
    createdBy: t.createdBy,
  };
}

export function notifyRoutes(s: ApiServices): Route[] {
  const base = '/v1/apps/{app}/notify';
  return [
    route({
      method: 'GET',
      path: base,
      summary: "Where the app's failures are POSTed: [notify] of the current release and added targets",
      access: 'read',
      tag: 'notify',
      response: NotifyTargetsResponse,
      handler: ({ params }) => {
        const app = requireApp(s.store, params.app!);
        const release =
          app.currentRelease === null ? undefined : s.store.releases.get(app.name, app.currentRelease);
        const fromConfig = (release?.config.notify?.urls ?? []).map((url): NotifyTargetInfo => ({
          id: 0,
          url: displayUrl(url),
          signed: release?.config.notify?.secret !== undefined,
          events: release?.config.notify?.events ?? [],
          source: 'config',
          createdAt: null,
          createdBy: null,
        }));
        return { targets: [...fromConfig, ...s.store.notifications.targets(app.name).map(targetView)] };
      },
    }),
    route({
      method: 'POST',
      path: base,
      summary: 'Add a notification target (or replace the one with the same URL)',
      // Sends the app's events to a URL outside berth.
      access: 'admin',
      tag: 'notify',
      body: NotifyAddBody,
      sensitiveBody: true,
      response: NotifyTargetResponse,
      status: 201,
      handler: ({ params, body, user }) => {
        const app = requireApp(s.store, params.app!).name;
        const problem = notifyUrlProblem(body.url);
        if (problem) {
          throw new BerthError('invalid_request', `the notification URL ${problem}`, {
            hint: 'Pass a full http:// or https:// URL, e.g. berth notify add https://example.com/hooks/berth.',
          });
        }
        const events = body.events ?? [...NOTIFY_KINDS];
        const unknown = events.filter((k) => !isNotifyKind(k));
        if (unknown.length > 0 || events.length === 0) {
          throw new BerthError(
            'invalid_request',
            `not events berth notifies about: ${unknown.join(', ') || '(none given)'}`,
            {
              hint: `Pass some of: ${NOTIFY_KINDS.join(', ')}.`,
            },
          );
        }
        if (body.secret !== undefined && body.secret.trim() === '') {
          throw new BerthError('invalid_request', 'the signing secret is empty', {
            hint: 'Put the secret in a file and pass --secret-file FILE, or leave it out for unsigned deliveries.',
          });
        }
        const secretSealed =
          body.secret === undefined
            ? null
            : s.secrets.sealMachineEnv(app, { [TARGET_SECRET_NAME]: body.secret.trim() })[
                TARGET_SECRET_NAME
              ]!;
        const target = s.store.notifications.addTarget({ app, url: body.url, secretSealed, events, user });
        s.store.events.append({
          app,
          kind: 'notify.added',
          message: `notification target ${displayUrl(body.url)} added by ${user} (${target.secretSealed ? 'signed' : 'unsigned'}; ${events.join(', ')})`,
          data: { targetId: target.id, user },
        });
        return { target: targetView(target) };
      },
    }),
    route({
      method: 'DELETE',
      path: `${base}/{target}`,
      summary: 'Remove a notification target added with `berth notify add` (by id or URL)',
      access: 'admin',
      tag: 'notify',
      response: NotifyTargetResponse,
      handler: ({ params, user }) => {
        const app = requireApp(s.store, params.app!).name;
        const removed = s.store.notifications.removeTarget(app, params.target!);
        if (!removed) {
          throw new BerthError(
            'notify_target_not_found',
            `app "${app}" has no notification target ${params.target}`,
          );
        }
        s.store.events.append({
          app,
          kind: 'notify.removed',
          message: `notification target ${displayUrl(removed.url)} removed by ${user}`,
          data: { targetId: removed.id, user },
        });
        return { target: targetView(removed) };
      },
    }),
  ];
}
