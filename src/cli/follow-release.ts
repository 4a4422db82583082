// Following a release's rollout to its end, as deploy and rollback both do: print each
// progress event, then the outcome, and leave with the exit code that outcome means. The
// following itself is the SDK's (client.followRelease, client.deploy); this is the printing.
import type { BerthClient } from '../sdk/client.js';
import type { FollowedRelease } from '../sdk/follow-release.js';
import type { EventInfo } from '../sdk/types.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliExit, type Output } from './output.js';

export type Emit = (kind: string, message: string, data?: Record<string, unknown>) => void;

/** A progress line: the message for people, or `{kind, message, ...data}` under --json. */
export function progressEmitter(out: Output, json: boolean | undefined): Emit {
  return (kind, message, data = {}) =>
    json ? out.line(JSON.stringify({ kind, message, ...data })) : out.line(message);
}

/** Streams the release's events until it is final; throws CliExit(3) when it failed, 4 when reverted. */
export async function followRelease(
  ctx: CliContext,
  client: BerthClient,
  app: string,
  version: number,
  url: string,
  opts: { json?: boolean },
): Promise<void> {
  const followed = await client.followRelease(app, version, { onEvent: eventPrinter(ctx.out, opts.json) });
  reportOutcome(ctx.out, app, version, url, followed, opts);
}

/** Prints one rollout event as it arrives: an indented line, or the event as JSON. */
export function eventPrinter(out: Output, json: boolean | undefined): (event: EventInfo) => void {
  return (event) => out.line(json ? JSON.stringify(event) : renderEvent(event));
}

/** The last line of a followed rollout, and the exit code for a failed (3) or reverted (4) one. */
export function reportOutcome(
  out: Output,
  app: string,
  version: number,
  url: string,
  { outcome, final }: FollowedRelease,
  opts: { json?: boolean },
): void {
  const emit = progressEmitter(out, opts.json);
  if (outcome === 'succeeded') {
    emit('result', `==> v${version} is live: ${url}`, { status: 'complete', version, url });
    return;
  }
  const reverted = outcome === 'reverted';
  const what = reverted ? 'Deploy failed and was reverted' : 'Deploy failed';
  // null: nothing served before this release; absent: an older daemon that did not say.
  const firstDeploy = final.data?.previousRelease === null;
  const serving = firstDeploy
    ? `nothing was serving: ${app} has never been deployed`
    : 'the previous release keeps serving';
  const machineId = typeof final.data?.machineId === 'string' ? final.data.machineId : undefined;
  const show = `berth releases show v${version} -a ${app}`;
  const hint = machineId
    ? `hint: \`${show}\` shows why and what machine ${machineId} printed last (\`berth logs --machine ${machineId} -a ${app}\` for more)`
    : `hint: \`${show}\` shows why and its whole deploy log`;
  emit('result', `==> ${what}; ${serving}.\n${hint}`, {
    status: reverted ? 'reverted' : 'failed',
    version,
    firstDeploy,
    ...(machineId && { machineId }),
    hint: show,
  });
  throw new CliExit(reverted ? EXIT.deployReverted : EXIT.deployFailed);
}

/** One progress event as an indented line; build output is set off with a bar. */
export function renderEvent(event: EventInfo): string {
  if (event.kind === 'build.output' || event.kind === 'release_command.output') return `  │ ${event.message}`;
  return `  ${event.message.replace(/\n/g, '\n  ')}`;
}
