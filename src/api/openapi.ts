// The OpenAPI document, generated from the same route list the server dispatches on.
import type { Route } from './router.js';
import { ErrorSchema } from './schemas.js';

export function openApiDocument(routes: Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const ok: Record<string, unknown> = { description: 'Success' };
    if (r.response) ok.content = { 'application/json': { schema: r.response } };
    if (r.streams) ok.content = { [r.streams]: { schema: { type: 'string' } } };
    const operation: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters: params,
      responses: {
        [String(r.status ?? 200)]: ok,
        default: { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } },
      },
    };
    if (r.access === 'public') operation.security = [];
    operation['x-berth-access'] = r.access;
    if (r.body)
      operation.requestBody = { required: true, content: { 'application/json': { schema: r.body } } };
    if (r.rawBody) {
      operation.requestBody = {
        required: true,
        content: { [r.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } },
      };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'berth API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
