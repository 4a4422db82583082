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
import { examples } from '../examples.js';

const STOP_WAIT_MS = 60_000;

export function registerServerControl(server: Command, ctx: CliContext): void {
  server
    .command('status')
    .description('Whether the daemon runs, and its version, pid, uptime, home, URLs, drivers and load')
    .addHelpText('after', examples('berth server status', 'berth server status --json'))
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
      .addHelpText('after', examples(`berth server ${action}`, `berth server ${action} --json`))
      .action(async (opts: { json?: boolean }) => {
        const client = await connectExisting(ctx.env);
        if (!client) {
          throw new BerthError('daemon_unreachable', 'no berth daemon is running here', {
            hint: 'Start one with `berth server`.',
          });
        }
        const daemon = await client.serverStatus();
        await client.serverControl(action, daemon.pid);
        const info = action === 'stop' ? await stopped(ctx, daemon) : await restarted(ctx, daemon);
        if (opts.json)
          return ctx.out.json(
            info ? { action, previousPid: daemon.pid, ...info } : { action, previousPid: daemon.pid },
          );
        if (!info) {
          ctx.out.line(
            `Stopped the daemon (pid ${daemon.pid}); machines keep running and the next daemon adopts them.`,
          );
          return;
        }
        ctx.out.line(`Restarted the daemon: pid ${daemon.pid} -> ${info.pid}; machines kept running.`);
        printStatus(ctx, info);
      });
  }
}

/** Waits until nothing answers for this CLI any more. */
async function stopped(ctx: CliContext, daemon: ServerStatusInfo): Promise<undefined> {
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    const client = await connectExisting(ctx.env);
    // A local daemon removes server.json as the last step of its shutdown.
    const closing = !ctx.env.BERTH_API_URL && serverJsonNames(daemon);
    if (!closing && (!client || (await pidOf(client)) !== daemon.pid)) return undefined;
    await sleep(100);
  }
  throw new BerthError(
    'daemon_unreachable',
    `the daemon (pid ${daemon.pid}) still answers after ${STOP_WAIT_MS / 1000}s`,
    {
      hint: `Its log says why (${daemon.home}/daemon.log); \`kill ${daemon.pid}\` stops it as well.`,
    },
  );
}

/** Waits for the successor: a daemon of another pid answering for this CLI. */
async function restarted(ctx: CliContext, daemon: ServerStatusInfo): Promise<ServerStatusInfo> {
  const deadline = Date.now() + STOP_WAIT_MS;
  while (Date.now() < deadline) {
    const client = await connectExisting(ctx.env);
    if (client) {
      const info = await client.serverStatus().catch(() => undefined);
      if (info && info.pid !== daemon.pid) return info;
    }
    await sleep(100);
  }
  throw new BerthError(
    'daemon_unreachable',
    `no daemon answered within ${STOP_WAIT_MS / 1000}s of the restart`,
    {
      hint: `Read ${daemon.home}/daemon.log, then start it with \`berth server\`.`,
    },
  );
}

async function pidOf(client: BerthClient): Promise<number | undefined> {
  const info = await client.serverStatus().catch(() => undefined);
  return info === undefined ? undefined : info.pid;
}

/** Whether the home's server.json still names this daemon. */
function serverJsonNames(daemon: ServerStatusInfo): boolean {
  const info = readServerInfo(homeLayout(daemon.home).serverInfo);
  return info !== undefined && info.pid === daemon.pid;
}

function printStatus(ctx: CliContext, info: ServerStatusInfo): void {
  const s = info;
  const rows: Array<[string, string]> = [
    ['Daemon', `running, pid ${info.pid}, berth ${s.version}`],
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
