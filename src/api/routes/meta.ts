// Health and the API's own description; the only routes that need no token.
import { openApiDocument } from '../openapi.js';
import { route, type Route } from '../router.js';
import { HealthResponse, OpenApiResponse } from '../schemas.js';

export function metaRoutes(version: string, allRoutes: () => Route[]): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/health',
      summary: 'Whether the daemon answers',
      access: 'public',
      tag: 'meta',
      response: HealthResponse,
      handler: () => ({ ok: true, version }),
    }),
    route({
      method: 'GET',
      path: '/v1/openapi.json',
      summary: 'This API, as an OpenAPI 3.1 document',
      access: 'public',
      tag: 'meta',
      response: OpenApiResponse,
      handler: () => openApiDocument(allRoutes(), version),
    }),
  ];
}
