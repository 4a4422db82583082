// A test-only hook: with BERTH_TEST_PAUSE_AT=<step> the controller stops before applying that
// step (a rollout action kind such as "serve", or "build" / "release-command"), writes
// <home>/paused-at and waits forever, so a test can kill the daemon at exactly that point.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function pauseIfAsked(
  home: string,
  step: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const wanted = env.BERTH_TEST_PAUSE_AT;
  if (!wanted || !wanted.split(',').includes(step)) return;
  writeFileSync(join(home, 'paused-at'), step);
  await new Promise<never>(() => undefined);
}
