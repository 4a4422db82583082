// `berth server` for crash tests: the same command, flags and shutdown, plus a hook that holds
// the deployment before each step named by `--pause-at STEP[,STEP]`, writing <home>/paused-at
// first, so a test can kill the daemon at exactly that point. Production has no such hook.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerServer } from '../../src/cli/commands/server.js';
import { createContext } from '../../src/cli/context.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { reportError } from '../../src/cli/output.js';

const argv = [...process.argv];
const at = argv.indexOf('--pause-at');
const steps = at >= 0 ? argv.splice(at, 2)[1]!.split(',') : [];
const home = argv[argv.indexOf('--home') + 1]!;

const ctx = createContext();
const program = new Command('berth').exitOverride();
registerServer(program, ctx, {
  beforeStep: async (step) => {
    if (!steps.includes(step)) return;
    writeFileSync(join(home, 'paused-at'), step);
    await new Promise<never>(() => undefined);
  },
});

try {
  await program.parseAsync(argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(EXIT.usage);
  process.exit(reportError(err, ctx.out, false));
}
