// Routes declared as data: method, path, schemas and handler. The same list drives request
// validation, dispatch and the OpenAPI document, so they cannot drift apart.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BerthError } from '../core/errors.js';

export interface RouteContext<Body = unknown> {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body;
  /** The authenticated user's name ("anonymous" on public routes). */
  user: string;
  req: IncomingMessage;
  res: ServerResponse;
}

/** Returned by handlers that wrote the response themselves (streams). */
export const STREAMED = Symbol('streamed');

export interface Route<B extends TSchema = TSchema> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** OpenAPI-style path, e.g. "/v1/apps/{app}". */
  path: string;
  summary: string;
  tag: string;
  /** Public routes need no token (health and the API description only). */
  public?: boolean;
  body?: B;
  /** The body carries secrets: errors about it must never quote it. */
  sensitiveBody?: boolean;
  /** Body is not JSON: the handler reads the request stream itself. */
  rawBody?: { contentType: string };
  response?: TSchema;
  /** Content type of a streamed response, for the API description. */
  streams?: string;
  status?: number;
  handler: (ctx: RouteContext<Static<B>>) => unknown | Promise<unknown>;
}

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

  /** Finds the route for a request; distinguishes an unknown path from a wrong method. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    let pathKnown = false;
    for (const c of this.compiled) {
      const m = c.pattern.exec(pathname);
      if (!m) continue;
      pathKnown = true;
      if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route: c.route, params };
    }
    if (pathKnown) {
      throw new BerthError('invalid_request', `${method} is not allowed on ${pathname}`, {
        hint: 'GET /v1/openapi.json lists the methods each path takes.',
      });
    }
    throw new BerthError('not_found', `no API endpoint at ${pathname}`, {
      hint: 'GET /v1/openapi.json lists every endpoint.',
    });
  }
}

const MAX_JSON_BODY = 1024 * 1024;

export async function readJsonBody(req: IncomingMessage, sensitive = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) {
      throw new BerthError('invalid_request', `request body is larger than ${MAX_JSON_BODY} bytes`);
    }
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
  const problems = [...Value.Errors(schema, body)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
  throw new BerthError('invalid_request', `invalid request body: ${problems.join('; ')}`, {
    details: { problems },
  });
}
