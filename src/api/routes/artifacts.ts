// Artifacts: content-addressed uploads of packed source. HEAD tells the CLI to skip one.
import { verifyUpload } from '../../artifacts/verify.js';
import { BerthError } from '../../core/errors.js';
import { route, type Route } from '../router.js';
import { ArtifactPresentResponse, ArtifactResponse } from '../schemas.js';
import type { ApiServices } from '../services.js';

export function artifactRoutes(s: ApiServices): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/artifacts/{digest}',
      summary: 'Whether the daemon has an artifact (use HEAD)',
      // Asked only by a deploy, before it uploads; an artifact belongs to no app.
      access: 'deploy',
      tag: 'artifacts',
      response: ArtifactPresentResponse,
      handler: ({ params }) => {
        if (!s.artifacts.has(params.digest!)) {
          throw new BerthError('artifact_not_found', `artifact ${params.digest} is not here`);
        }
        return { digest: params.digest };
      },
    }),
    route({
      method: 'PUT',
      path: '/v1/artifacts/{digest}',
      summary: 'Upload a gzip-compressed tar, stored under its sha256 digest',
      // The first half of a deploy; the deploy itself is checked against its app.
      access: 'deploy',
      tag: 'artifacts',
      rawBody: { contentType: 'application/gzip' },
      response: ArtifactResponse,
      handler: async ({ params, req }) => {
        const stored = await s.artifacts.put(params.digest!, req);
        if (stored.created) {
          await verifyUpload(s.artifacts, stored.digest, {
            maxUnpackedBytes: s.maxUnpackedBytes,
            scratchDir: s.scratchDir,
          });
        }
        return stored;
      },
    }),
  ];
}
