// `berth config validate`: check a config file without a daemon.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findConfigFile, formatDiagnostics, loadConfigFile } from '../../config/load.js';
import {
  buildSource,
  DEFAULT_DOCKERFILE,
  describeImpliedDriver,
  impliedDriver,
} from '../../core/config/build-source.js';
import { appDirectory } from '../app-directory.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { EXIT } from '../exit-codes.js';
import { CliExit } from '../output.js';

export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('Work with berth.toml / fly.toml')
    .addHelpText('after', examples('berth config validate', 'berth config validate ./web --json'));
  config
    .command('validate [dir]')
    .description('Print the normalized config and its warnings, or its errors')
    .addHelpText('after', examples('berth config validate', 'berth config validate ./web -c fly.toml'))
    .option('-c, --config <file>', 'config file (default berth.toml, else fly.toml)')
    .option('--json', 'print JSON: {file, valid, config, diagnostics, driver}')
    .action((dir: string | undefined, opts: { config?: string; json?: boolean }) => {
      const root = appDirectory(
        ctx.cwd,
        dir ?? '.',
        'Pass the directory that holds berth.toml or fly.toml (default: the current directory).',
      );
      const file = findConfigFile(root, opts.config ? resolve(ctx.cwd, opts.config) : undefined);
      const loaded = loadConfigFile(file);
      const valid = !!loaded.config && !loaded.diagnostics.some((d) => d.severity === 'error');
      const implied =
        loaded.config &&
        impliedDriver(buildSource(loaded.config.build, existsSync(join(root, DEFAULT_DOCKERFILE))));
      if (opts.json) {
        ctx.out.json({
          file: loaded.file,
          valid,
          config: loaded.config ?? null,
          diagnostics: loaded.diagnostics,
          driver: valid && implied ? { name: implied.driver, reason: implied.reason } : null,
        });
      } else {
        if (loaded.diagnostics.length > 0) ctx.out.note(formatDiagnostics(loaded));
        if (valid) {
          ctx.out.line(JSON.stringify(loaded.config, null, 2));
          if (implied) ctx.out.note(describeImpliedDriver(implied));
          ctx.out.note(`${loaded.file} is valid`);
        }
      }
      if (!valid) throw new CliExit(EXIT.usage);
    });
}
