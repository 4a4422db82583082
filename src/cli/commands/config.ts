// `berth config validate`: check a config file without a daemon.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { findConfigFile, formatDiagnostics, loadConfigFile } from '../../config/load.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliExit } from '../output.js';

export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('Work with berth.toml / fly.toml');
  config
    .command('validate [dir]')
    .description('Print the normalized config and its warnings, or its errors')
    .option('-c, --config <file>', 'config file (default berth.toml, else fly.toml)')
    .option('--json', 'print JSON: {file, valid, config, diagnostics}')
    .action((dir: string | undefined, opts: { config?: string; json?: boolean }) => {
      const file = findConfigFile(
        resolve(ctx.cwd, dir ?? '.'),
        opts.config ? resolve(ctx.cwd, opts.config) : undefined,
      );
      const loaded = loadConfigFile(file);
      const valid = !!loaded.config && !loaded.diagnostics.some((d) => d.severity === 'error');
      if (opts.json) {
        ctx.out.json({
          file: loaded.file,
          valid,
          config: loaded.config ?? null,
          diagnostics: loaded.diagnostics,
        });
      } else {
        if (loaded.diagnostics.length > 0) ctx.out.note(formatDiagnostics(loaded));
        if (valid) {
          ctx.out.line(JSON.stringify(loaded.config, null, 2));
          ctx.out.note(`${loaded.file} is valid`);
        }
      }
      if (!valid) throw new CliExit(EXIT.usage);
    });
}
