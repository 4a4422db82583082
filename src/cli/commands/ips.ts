// `berth ips allocate|list|release`: addresses that serve one app whatever the Host header,
// each its own listener. No release, no restart.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { formatAddress, parseAddressArg } from '../../core/net/ip-address.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

function addressArg(text: string | undefined): { address?: string; port?: number } {
  const parsed = parseAddressArg(text ?? '');
  if (!parsed.ok) throw new BerthError('invalid_request', parsed.problem, { hint: parsed.hint });
  return {
    ...(parsed.address !== undefined && { address: parsed.address }),
    ...(parsed.port !== undefined && { port: parsed.port }),
  };
}

export function registerIps(program: Command, ctx: CliContext): void {
  const ips = program
    .command('ips')
    .description('Addresses dedicated to an app')
    .addHelpText('after', examples('berth ips allocate 127.0.0.1:9000', 'berth ips list -a web'));

  ips
    .command('allocate [address]')
    .description('Give the app its own listener at [ADDR][:PORT] (default 127.0.0.1 and a free port)')
    .addHelpText('after', examples('berth ips allocate', 'berth ips allocate 0.0.0.0:8443 --tls'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--tls', "serve HTTPS: the SNI name's certificate, else a local-CA one for the address")
    .option('--json', 'print JSON')
    .action(async (address: string | undefined, opts: { app?: string; tls?: boolean; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const ip = await (
        await ctx.client()
      ).allocateIp(app, { ...addressArg(address), ...(opts.tls && { tls: true }) });
      if (opts.json) return ctx.out.json(ip);
      ctx.out.line(
        `Allocated ${formatAddress(ip.address, ip.port)} to ${app}: every request to ${ip.url} goes to ${app}, whatever its Host.`,
      );
      if (ip.tls) {
        ctx.out.line(
          "Clients naming an added hostname by SNI get its certificate; others get one from berth's local CA (caCertPath in server.json).",
        );
      }
    });

  ips
    .command('list')
    .description('List the addresses allocated to the app')
    .addHelpText('after', examples('berth ips list -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const list = await (await ctx.client()).listIps(app);
      if (opts.json) return ctx.out.json(list);
      if (list.length === 0)
        return ctx.out.line(`${app} has no allocated addresses; add one with \`berth ips allocate\`.`);
      ctx.out.line(
        table(
          ['ADDRESS', 'URL', 'LISTENING', 'CREATED', 'BY'],
          list.map((ip) => [
            formatAddress(ip.address, ip.port),
            ip.url,
            ip.listening ? 'yes' : 'NO (see daemon log)',
            ip.createdAt,
            ip.createdBy,
          ]),
        ),
      );
    });

  ips
    .command('release <address>')
    .description('Release ADDR[:PORT] from the app and close its listener')
    .addHelpText('after', examples('berth ips release 127.0.0.1:9000'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON: {released}')
    .action(async (address: string, opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const parsed = addressArg(address);
      if (parsed.address === undefined) {
        throw new BerthError('invalid_request', `"${address}" names no IP address`, {
          hint: 'Write ADDR or ADDR:PORT as `berth ips list` shows it, e.g. 127.0.0.1:9000.',
        });
      }
      const result = await (await ctx.client()).releaseIp(app, parsed.address, parsed.port);
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(
        `Released ${formatAddress(result.released.address, result.released.port)} from ${app}; it no longer listens.`,
      );
    });
}
