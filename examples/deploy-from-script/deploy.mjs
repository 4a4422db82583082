// Deploys ./app with berth's SDK and prints the rollout as it goes, as `berth deploy` would:
//
//   BERTH_API_URL=http://127.0.0.1:4680 BERTH_TOKEN=$(cat ~/.berth/credentials) node deploy.mjs [APP]
//
// Without BERTH_API_URL it uses the daemon of this host's berth home (BERTH_HOME, else ~/.berth).
// Exits 0 when the release is live, 1 when the deploy failed or was reverted, 2 when it was refused.
import { fileURLToPath } from 'node:url';
import { ApiError, BerthClient } from 'berth';

const client = await BerthClient.fromEnv();

try {
  const result = await client.deploy({
    dir: fileURLToPath(new URL('./app/', import.meta.url)),
    app: process.argv[2], // default: app in app/berth.toml
    description: 'deployed from deploy.mjs',
    onProgress(step) {
      if (step.kind === 'pack') console.log(`packed ${step.files} files (${step.digest.slice(0, 19)})`);
      if (step.kind === 'upload') console.log(step.skipped ? 'source already on the daemon' : 'uploaded');
      if (step.kind === 'release') console.log(`release v${step.version} of ${step.app} created`);
      if (step.kind === 'event') console.log(`  ${step.event.message}`);
    },
  });
  if (result.outcome === 'succeeded') {
    console.log(`v${result.release.version} is live: ${result.url}`);
  } else {
    console.log(`v${result.release.version} ${result.outcome}: ${result.release.failureReason}`);
    process.exitCode = 1;
  }
} catch (err) {
  if (!(err instanceof ApiError)) throw err;
  console.error(`error: ${err.message}\n  hint: ${err.hint}`);
  process.exitCode = 2;
}
