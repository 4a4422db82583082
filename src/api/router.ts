// Routes declared as data: method, path, schemas and handler. The same list drives request
// validation, dispatch and the OpenAPI document, so they cannot drift apart.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BerthError } from '../core/errors.js';
import type { Access } from '../core/access.js';
import type { AcceptSession } from '../daemon/session-peer.js';
import type { TokenOwner } from '../store/tokens.js';

export interface RouteContext<Body = unknown> {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body;
  /** The token's name, recorded as who did it ("anonymous" on public routes). */
  user: string;
  /** The token the request came with (ANONYMOUS on public routes): listings filter by its apps. */
  principal: TokenOwner;
  req: IncomingMessage;
  /** The response; on a session route (`upgrade`) there is none: the handler calls upgrade(). */
  res: ServerResponse;
  /** Session routes: answers 101 and returns the session's client end. */
  upgrade?: AcceptSession;
}

/** Returned by handlers that wrote the response themselves (streams). */
export const STREAMED = Symbol('streamed');

export interface Route<B extends TSchema = TSchema> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** OpenAPI-style path, e.g. "/v1/apps/{app}". */
  path: string;
  summary: string;
  tag: string;
  /**
   * The right a token needs (src/core/access.ts): public needs no token (health and the API
   * description only); metrics is GET /metrics. Checked before the body is read, against the
   * app of an `{app}` path parameter or `?app=`.
   */
  access: Access;
  body?: B;
  /** The body carries secrets: errors about it must never quote it. */
  sensitiveBody?: boolean;
  /** Largest JSON body taken, in bytes (default 64 KiB): parsing is the one unbounded step. */
  maxBody?: number;
  /** Body is not JSON: the handler reads the request stream itself. */
  rawBody?: { contentType: string };
  response?: TSchema;
  /** Content type of a streamed response, for the API description. */
  streams?: string;
  status?: number;
  /**
   * A session (`berth run`, `exec`, `console`): the connection is upgraded to session frames
   * (src/core/session-frames.ts). Refusals before the handler calls upgrade() are ordinary
   * HTTP errors; a plain request gets 426.
   */
  upgrade?: boolean;
  handler: (ctx: RouteContext<Static<B>>) => unknown | Promise<unknown>;
}

/** The principal of public routes: no token, no apps. */
export const ANONYMOUS: TokenOwner = {
  id: '',
  name: 'anonymous',
  user: 'anonymous',
  role: 'viewer',
  apps: [],
  expiresAt: null,
};

/** Helper that keeps the body type tied to its schema. */
export function route<B extends TSchema>(definition: Route<B>): Route {
  return definition as unknown as Route;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(readonly routes: Route[]) {
    this.compiled = routes.map((r) => {
      const names: string[] = [];
      const source = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { route: r, pattern: new RegExp(`^${source}$`), names };
    });
  }

  /**
   * Finds the route for a request. An unknown path is 404; a method the path (or, for a method
   * no route takes, the API) does not take is 405, its error's details carrying the Allow list;
   * a path parameter that is not valid percent-encoding 400. Runs before authentication, so none
   * of these may throw anything but a coded error.
   */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    const allow = new Set<string>();
    for (const c of this.compiled) {
      const m = c.pattern.exec(pathname);
      if (!m) continue;
      allow.add(c.route.method);
      if (c.route.method === 'GET') allow.add('HEAD');
      if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeParam(name, m[i + 1] ?? '');
      });
      return { route: c.route, params };
    }
    if (allow.size > 0)
      throw methodNotAllowed(
        method,
        API_METHODS.filter((m) => allow.has(m)),
      );
    if (!API_METHODS.includes(method)) throw methodNotAllowed(method, API_METHODS);
    throw new BerthError('not_found', `no API endpoint at ${pathname}`, {
      hint: 'GET /v1/openapi.json lists every endpoint.',
    });
  }
}

/** Every method some route takes (HEAD wherever GET is), in the order an Allow header lists them. */
export const API_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

/** 405, with the methods to list in the Allow header. */
export function methodNotAllowed(method: string, allow: readonly string[]): BerthError {
  const where = allow === API_METHODS ? 'by the API' : 'on this path';
  return new BerthError('method_not_allowed', `${method.slice(0, 32)} is not allowed ${where}`, {
    details: { allow },
  });
}

function decodeParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // Quoted as JSON and cut short: the segment is outside input and may be long.
    const shown = JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}...` : raw);
    throw new BerthError('malformed_url', `the path's ${name} ${shown} is not valid percent-encoding`);
  }
}

/**
 * The JSON body a route takes unless it says otherwise. Parsing runs on the event loop, and a
 * hostile body of many small fields costs about 1 ms of JSON.parse and schema check per 5 KB.
 */
export const DEFAULT_MAX_JSON_BODY = 64 * 1024;

export async function readJsonBody(
  req: IncomingMessage,
  options: { sensitive?: boolean; limit?: number } = {},
): Promise<unknown> {
  const sensitive = options.sensitive ?? false;
  const limit = options.limit ?? DEFAULT_MAX_JSON_BODY;
  const tooLarge = () =>
    new BerthError('body_too_large', `the request body is larger than this endpoint takes (${limit} bytes)`);
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The parser's message quotes the text around the mistake, which may be a secret.
    const why = sensitive ? 'it does not parse' : (err as Error).message;
    throw new BerthError('invalid_request', `request body is not valid JSON: ${why}`, {
      hint: 'Send a JSON object with "content-type: application/json".',
    });
  }
}

/** Validates a body against its schema, reporting every problem with its JSON path. */
export function validateBody<T extends TSchema>(schema: T, body: unknown): Static<T> {
  if (Value.Check(schema, body)) return body;
  // The first ten only: a body of 100,000 wrong values must not cost 100,000 error objects.
  const problems: string[] = [];
  for (const e of Value.Errors(schema, body)) {
    problems.push(`${e.path || '/'}: ${e.message}`);
    if (problems.length === 10) break;
  }
  throw new BerthError('invalid_request', `invalid request body: ${problems.join('; ')}`, {
    details: { problems },
  });
}
