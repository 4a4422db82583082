// Following a release's rollout to its end, as deploy and rollback both do: print each
// progress event, then the outcome, and leave with the exit code that outcome means.
import { BerthError } from '../core/errors.js';
import type { BerthClient } from '../sdk/client.js';
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
  const { out } = ctx;
  const emit = progressEmitter(out, opts.json);
  let final: EventInfo | undefined;
  await client.releaseEvents(app, version, true, (event) => {
    if (event.kind === 'release.created') return;
    if (opts.json) out.line(JSON.stringify(event));
    else out.line(renderEvent(event));
    if (event.kind === 'release.complete' || event.kind === 'release.failed') final = event;
  });
  if (!final) {
    throw new BerthError('daemon_unreachable', `lost the daemon while following v${version}`, {
      hint: `Check its state with \`berth releases -a ${app}\` and \`berth status -a ${app}\`.`,
    });
  }
  if (final.kind === 'release.failed') {
    const reverted = final.data?.status === 'reverted';
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
  emit('result', `==> v${version} is live: ${url}`, { status: 'complete', version, url });
}

/** One progress event as an indented line; build output is set off with a bar. */
export function renderEvent(event: EventInfo): string {
  if (event.kind === 'build.output' || event.kind === 'release_command.output') return `  │ ${event.message}`;
  return `  ${event.message.replace(/\n/g, '\n  ')}`;
}
