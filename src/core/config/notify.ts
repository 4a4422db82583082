// [notify]: where berth POSTs failures (failed schedule runs, deploys, crash loops, wakes).
// The signing key is named, never written here: `secret` names an app secret.
import { isNotifyKind, NOTIFY_KINDS, notifyUrlProblem } from '../notify/kinds.js';
import { secretNameProblem } from '../secret-name.js';
import { describe, type Reader, type Table } from './reader.js';
import type { NotifyConfig } from './types.js';

export function readNotify(r: Reader, raw: Table): { notify?: NotifyConfig } {
  const t = r.table(raw, 'notify', []);
  if (!t) return {};
  const path = ['notify'];
  r.unknownKeys(t, path, ['url', 'urls', 'secret', 'events']);
  const urls = [...(r.strings(t, 'url', path) ?? []), ...(r.strings(t, 'urls', path) ?? [])];
  if (urls.length === 0) {
    r.error(path, 'has no url', 'Add url = "https://example.com/hooks/berth" (or urls = [...]).');
  }
  urls.forEach((url) => {
    const problem = notifyUrlProblem(url);
    if (problem) {
      r.error(
        [...path, t.url !== undefined ? 'url' : 'urls'],
        `${describe(url)} ${problem}`,
        'Write a full http:// or https:// URL.',
      );
    }
  });
  const secret = r.string(t, 'secret', path)?.trim();
  if (secret !== undefined && secretNameProblem(secret) !== undefined) {
    r.error(
      [...path, 'secret'],
      `must name an app secret (got ${describe(secret)})`,
      'Set the signing key with `berth secrets set NAME=...`, then write secret = "NAME" (the name, not the value).',
    );
  }
  const events = r.strings(t, 'events', path) ?? [...NOTIFY_KINDS];
  for (const kind of events) {
    if (!isNotifyKind(kind)) {
      r.error(
        [...path, 'events'],
        `${describe(kind)} is not an event berth notifies about`,
        `Write some of: ${NOTIFY_KINDS.join(', ')}.`,
      );
    }
  }
  return { notify: { urls, ...(secret && { secret }), events } };
}
