#!/usr/bin/env node
// The berth CLI. Commands live in ./commands, one file each, and are loaded only when named:
// `berth status` loads status.ts and what it imports, not the packer, the config parser or the
// daemon. This file turns every error into "error: message / hint" and an exit code scripts
// can trust.
import { createRequire } from 'node:module';
import type { Command as CommandType } from 'commander';
import { BERTH_VERSION } from '../version.js';
import { createContext, type CliContext } from './context.js';
import { EXIT, EXIT_MEANINGS } from './exit-codes.js';
import { reportError } from './output.js';

// commander is CommonJS: required as such it loads without the ESM loader's scan of its
// source for export names, about a tenth of `berth --version`'s own time (bench/cli).
const { Command, CommanderError } = createRequire(import.meta.url)('commander') as typeof import('commander');

type Register = (program: CommandType, ctx: CliContext) => void;

// Every command: the word that names it and how to load it, in the order `berth --help` lists them.
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['server', async () => (await import('./commands/server.js')).registerServer],
  ['deploy', async () => (await import('./commands/deploy.js')).registerDeploy],
  ['apps', async () => (await import('./commands/apps.js')).registerApps],
  ['status', async () => (await import('./commands/status.js')).registerStatus],
  ['events', async () => (await import('./commands/events.js')).registerEvents],
  ['releases', async () => (await import('./commands/releases.js')).registerReleases],
  ['rollback', async () => (await import('./commands/rollback.js')).registerRollback],
  ['lock', async () => (await import('./commands/lock.js')).registerLock],
  ['logs', async () => (await import('./commands/logs.js')).registerLogs],
  ['machine', async () => (await import('./commands/machine.js')).registerMachine],
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['exec', async () => (await import('./commands/exec.js')).registerExec],
  ['console', async () => (await import('./commands/console.js')).registerConsole],
  ['secrets', async () => (await import('./commands/secrets.js')).registerSecrets],
  ['volumes', async () => (await import('./commands/volumes.js')).registerVolumes],
  ['scale', async () => (await import('./commands/scale.js')).registerScale],
  ['config', async () => (await import('./commands/config.js')).registerConfig],
  ['certs', async () => (await import('./commands/certs.js')).registerCerts],
  ['ips', async () => (await import('./commands/ips.js')).registerIps],
  ['nodes', async () => (await import('./commands/nodes.js')).registerNodes],
  ['schedules', async () => (await import('./commands/schedules.js')).registerSchedules],
  ['notify', async () => (await import('./commands/notify.js')).registerNotify],
  ['metrics', async () => (await import('./commands/metrics.js')).registerMetrics],
  ['tokens', async () => (await import('./commands/tokens.js')).registerTokens],
  ['whoami', async () => (await import('./commands/whoami.js')).registerWhoami],
];

/**
 * The commands argv needs: the one it names (`berth status`, `berth help status`), none for
 * `--version`, and all of them when help or commander's "did you mean" must list them.
 */
function commandsFor(argv: string[]): typeof COMMANDS {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const named = words[0] === 'help' ? words[1] : words[0];
  const known = COMMANDS.filter(([name]) => name === named);
  if (known.length > 0) return known;
  if (named === undefined && (argv.includes('-V') || argv.includes('--version'))) return [];
  return COMMANDS;
}

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
  .addHelpText(
    'after',
    `\nExit codes:\n${EXIT_MEANINGS.map(([code, meaning]) => `  ${code}  ${meaning}`).join('\n')}`,
  )
  .exitOverride();

try {
  const args = process.argv.slice(2);
  const registers = await Promise.all(commandsFor(args).map(([, load]) => load()));
  for (const register of registers) register(program, ctx);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  process.exit(reportError(err, ctx.out, process.argv.includes('--json')));
}
