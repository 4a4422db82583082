// Makes the test base images (node:20-slim, node:20-alpine) on the Engine DOCKER_HOST names,
// as the tests do on first use: `npm run build` first. CI runs it once before `npm test`, so
// the time it takes is its own line. See test/helpers/docker-images.ts.
import { ensureTestImages, TEST_BASE_IMAGES } from '../dist/test/helpers/docker-images.js';

const result = await ensureTestImages();
const what = result.made ? 'made' : 'already present';
console.log(
  `== test base images ${TEST_BASE_IMAGES.join(', ')} ${what} (inputs ${result.digest}) in ${result.ms} ms`,
);
