#!/usr/bin/env node
// The berth CLI. Commands live in ./commands, one file each; this file wires them up and
// turns every error into "error: message / hint" and an exit code scripts can trust.
import { Command, CommanderError } from 'commander';
import { BERTH_VERSION } from '../version.js';
import { registerApps } from './commands/apps.js';
import { registerCerts } from './commands/certs.js';
import { registerConfig } from './commands/config.js';
import { registerDeploy } from './commands/deploy.js';
import { registerIps } from './commands/ips.js';
import { registerLock } from './commands/lock.js';
import { registerLogs } from './commands/logs.js';
import { registerMachine } from './commands/machine.js';
import { registerNodes } from './commands/nodes.js';
import { registerReleases } from './commands/releases.js';
import { registerRollback } from './commands/rollback.js';
import { registerSecrets } from './commands/secrets.js';
import { registerScale } from './commands/scale.js';
import { registerServer } from './commands/server.js';
import { registerStatus } from './commands/status.js';
import { registerVolumes } from './commands/volumes.js';
import { createContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './output.js';

// `berth logs -f | head` closes our stdout early: that is the reader being done, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

const ctx = createContext();
const program = new Command('berth')
  .description(
    'Deploy apps to your own hardware: immutable releases, zero-downtime rollouts, one edge proxy.',
  )
  .version(BERTH_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of [
  registerServer,
  registerDeploy,
  registerApps,
  registerStatus,
  registerReleases,
  registerRollback,
  registerLock,
  registerLogs,
  registerMachine,
  registerSecrets,
  registerVolumes,
  registerScale,
  registerConfig,
  registerCerts,
  registerIps,
  registerNodes,
]) {
  register(program, ctx);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  process.exit(reportError(err, ctx.out, process.argv.includes('--json')));
}
