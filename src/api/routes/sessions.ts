// Sessions: `berth run` (a command in a temporary machine), `berth console` (a shell on a PTY
// in one) and `berth exec` (a command in a running machine). Each is an upgraded connection
// carrying session frames; parameters come in the query, as a connection being upgraded has
// no body.
import { BerthError } from '../../core/errors.js';
import { execInMachine } from '../../daemon/machine-exec.js';
import type { AcceptSession } from '../../daemon/session-peer.js';
import { parseVersion, requireApp } from '../lookups.js';
import { queryFlag, queryInteger } from '../query.js';
import { route, type Route } from '../router.js';
import type { ApiServices } from '../services.js';

const MAX_ARGS = 256;
const MAX_ARG_BYTES = 4096;

export function sessionRoutes(s: ApiServices): Route[] {
  return [
    session(
      s,
      '/v1/apps/{app}/run',
      "Session: run ?cmd=PROGRAM&cmd=ARG… in a temporary machine of a release (?release=N, default the current; ?volumes=1 mounts the group's volumes); streams its output, then its exit; the machine is destroyed",
      (app, { query }, accept) =>
        s.oneOffRuns.run(app, { command: commandOf(query), ...oneOffOptions(query) }, accept),
    ),
    session(
      s,
      '/v1/apps/{app}/console',
      'Session: a shell on a PTY (?cols, ?rows, ?term) in a temporary machine of a release (?release, ?volumes=1); the machine is destroyed when the shell exits',
      (app, { query }, accept) =>
        s.oneOffRuns.console(app, { ...oneOffOptions(query), tty: ttyOf(query) }, accept),
    ),
    session(
      s,
      '/v1/apps/{app}/machines/{machine}/exec',
      'Session: run ?cmd=PROGRAM&cmd=ARG… inside a running machine, in its environment and filesystem (?tty=1 with ?cols, ?rows, ?term for a PTY)',
      (app, { params, query }, accept) => {
        const command = commandOf(query);
        const tty = queryFlag(query, 'tty') ? ttyOf(query) : undefined;
        return execInMachine(s, app, params.machine!, { command, ...(tty && { tty }) }, accept);
      },
    ),
  ];
}

/**
 * A session route: an upgraded POST on an app, with the right to deploy it (a command runs in
 * the app's release, with its secrets). The handler gets the app's name and the accepted upgrade.
 */
function session(
  s: ApiServices,
  path: string,
  summary: string,
  open: (
    app: string,
    request: { params: Record<string, string>; query: URLSearchParams },
    accept: AcceptSession,
  ) => Promise<unknown>,
): Route {
  return route({
    method: 'POST',
    path,
    summary,
    access: 'deploy',
    tag: 'sessions',
    upgrade: true,
    streams: 'application/x-berth-session',
    handler: async ({ params, query, upgrade }) => {
      const app = requireApp(s.store, params.app!).name;
      await open(app, { params, query }, accepted(upgrade));
    },
  });
}

function accepted(upgrade: AcceptSession | undefined): AcceptSession {
  if (!upgrade)
    throw new BerthError('upgrade_required', 'this endpoint is a session: it needs an upgraded connection');
  return upgrade;
}

function commandOf(query: URLSearchParams): string[] {
  const args = query.getAll('cmd');
  if (args.length === 0 || args[0] === '') {
    throw new BerthError('invalid_request', 'no command given', {
      hint: 'Name the command after --, e.g. `berth run -- node migrate.js` (?cmd=node&cmd=migrate.js).',
    });
  }
  if (args.length > MAX_ARGS || args.some((a) => Buffer.byteLength(a) > MAX_ARG_BYTES || a.includes('\0'))) {
    throw new BerthError(
      'invalid_request',
      `the command has more than ${MAX_ARGS} arguments, one over ${MAX_ARG_BYTES} bytes, or a NUL byte`,
      { hint: 'Put long input in a file of the release, or send it on stdin.' },
    );
  }
  return args;
}

function oneOffOptions(query: URLSearchParams): { release?: number; volumes?: boolean } {
  const release = query.get('release');
  return {
    ...(release !== null && { release: parseVersion(release) }),
    ...(queryFlag(query, 'volumes') && { volumes: true }),
  };
}

function ttyOf(query: URLSearchParams): { cols: number; rows: number; term: string } {
  const term = query.get('term') ?? 'xterm-256color';
  if (!/^[A-Za-z0-9._+-]{1,64}$/.test(term)) {
    throw new BerthError(
      'invalid_request',
      `query parameter term=${JSON.stringify(term.slice(0, 40))} is not a terminal type`,
      {
        hint: 'Pass a TERM value such as xterm-256color, or leave it out.',
      },
    );
  }
  return {
    cols: queryInteger(query, 'cols', { min: 1, max: 1000, fallback: 80 }),
    rows: queryInteger(query, 'rows', { min: 1, max: 1000, fallback: 24 }),
    term,
  };
}
