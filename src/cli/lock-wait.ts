// `--lock-wait DURATION` (deploy, rollback): how long to wait for the app's deploy lock, in
// milliseconds, from "30s", "5m", "1h" or bare seconds; at most the API's limit of an hour.
import { durationFlag } from './duration-flag.js';

export const parseLockWait = durationFlag('--lock-wait', 0, 3_600_000);
