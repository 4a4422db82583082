// `berth server status|stop|restart`: the daemon this CLI talks to (BERTH_API_URL, else the
// home's server.json), through its API and token. None of them starts a daemon. Stop and
// restart leave machines running, as SIGTERM does; restart keeps the daemon's settings and
// the ports it was given, so the URLs it printed stay true.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { homeLayout } from '../../daemon/home.js';
import { readServerInfo } from '../../daemon/server-info.js';
import type { BerthClient } from '../../sdk/client.js';
import type { ServerStatusInfo } from '../../sdk/types.js';
import { connectExisting } from '../connect.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatDuration } from '../output.js';

const STOP_WAIT_MS = 60_000;

export function registerServerControl(server: Command, ctx: CliContext): void {
  server
    .command('status')
    .description('Whether the daemon runs, and its version, pid, uptime, home, URLs, drivers and load')
    .option('--json', 'print JSON ({"running": false} when none answers)')
    .addHelpText('after', '\nExamples:\n  berth server status\n  berth server status --json')
    .action(async (opts: { json?: boolean }) => {
      const client = await connectExisting(ctx.env);
      if (!client) {
        if (opts.json) ctx.out.json({ running: false });
        else
          ctx.out.line(
            'No berth daemon is running here; start one with `berth server` (or any command starts one).',
          );
        process.exitCode = EXIT.failure;
        return;
      }
      const status = await client.serverStatus();
      if (opts.json) return ctx.out.json({ running: true, ...status });
      printStatus(ctx, status);
    });

  for (const action of ['stop', 'restart'] as const) {
    server
      .command(action)
      .description(
        action === 'stop'
          ? 'Stop the daemon; machines keep running and the next daemon adopts them'
          : 'Restart the daemon with the same settings (server.toml read again) and ports; machines keep running',
      )
      .option('--json', 'print JSON')
      .addHelpText('after', `\nExample:\n  berth server ${action}`)
      .action(async (opts: { json?: boolean }) => {
        const client = await connectExisting(ctx.env);
        if (!client) {
          throw new BerthError('daemon_unreachable', 'no berth daemon is running here', {
            hint: 'Start one with `berth server`.',
          });
        }
        const before = await client.serverStatus();
        await client.serverControl(action);
        const after = action === 'stop' ? await stopped(ctx, before) : await restarted(ctx, before);
        if (opts.json)
          return ctx.out.json(
            after ? { action, previousPid: before.pid, ...after } : { action, previousPid: before.pid },
          );
        if (!after) {
          ctx.out.line(
            `Stopped the daemon (pid ${before.pid}); machines keep running and the next daemon adopts them.`,
          );
          return;
        }
        ctx.out.line(`Restarted the daemon: pid ${before.pid} -> ${after.pid}; machines kept running.`);
        printStatus(ctx, after);
      });
  }
}

/** Waits until nothing answers for this CLI any more. */
async function stopped(ctx: CliContext, before: ServerStatusInfo): Promise<undefined> {
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    const client = await connectExisting(ctx.env);
    // A local daemon removes server.json as the last step of its shutdown.
    const closing =
      !ctx.env.BERTH_API_URL && readServerInfo(homeLayout(before.home).serverInfo)?.pid === before.pid;
    if (!closing && (!client || (await pidOf(client)) !== before.pid)) return undefined;
    await sleep(100);
  }
  throw new BerthError(
    'daemon_unreachable',
    `the daemon (pid ${before.pid}) still answers after ${STOP_WAIT_MS / 1000}s`,
    {
      hint: `Its log says why (${before.home}/daemon.log); \`kill ${before.pid}\` stops it as well.`,
    },
  );
}

/** Waits for the successor: a daemon of another pid answering for this CLI. */
async function restarted(ctx: CliContext, before: ServerStatusInfo): Promise<ServerStatusInfo> {
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    const client = await connectExisting(ctx.env);
    if (client) {
      const status = await client.serverStatus().catch(() => undefined);
      if (status && status.pid !== before.pid) return status;
    }
    await sleep(100);
  }
  throw new BerthError(
    'daemon_unreachable',
    `no daemon answered within ${STOP_WAIT_MS / 1000}s of the restart`,
    {
      hint: `Read ${before.home}/daemon.log, then start it with \`berth server\`.`,
    },
  );
}

async function pidOf(client: BerthClient): Promise<number | undefined> {
  return (await client.serverStatus().catch(() => undefined))?.pid;
}

function printStatus(ctx: CliContext, s: ServerStatusInfo): void {
  const rows: Array<[string, string]> = [
    ['Daemon', `running, pid ${s.pid}, berth ${s.version}`],
    ['Uptime', `${formatDuration(s.uptimeSeconds)} (since ${s.startedAt})`],
    ['Home', s.home],
    ['API', s.apiUrl],
    ['Apps on', `${s.proxyUrl} (*.${s.domain})`],
    ['HTTPS', s.proxyTlsUrl ?? 'off (set proxy_tls in <home>/server.toml, or --proxy-tls)'],
    ['Drivers', `${s.drivers.join(', ')} (default ${s.defaultDriver})`],
    ['Apps', String(s.apps)],
    ['Machines', `${s.machinesRunning} running`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) ctx.out.line(`${k.padEnd(width)}  ${v}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
