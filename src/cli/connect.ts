// Finding the daemon: BERTH_API_URL and BERTH_TOKEN, else the home directory's server.json
// and credentials. With no daemon answering at a local home, start one in the background
// and say so in one line, as pm2 does.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCredentials } from '../daemon/credentials.js';
import { defaultHome, homeLayout } from '../daemon/home.js';
import { lockHolderPid } from '../daemon/home-holder.js';
import { readServerInfo } from '../daemon/server-info.js';
import { ApiError } from '../sdk/api-error.js';
import { BerthClient } from '../sdk/client.js';
import type { Output } from './output.js';

const AUTOSTART_TIMEOUT_MS = 20_000;

export async function connect(env: NodeJS.ProcessEnv, out: Output): Promise<BerthClient> {
  if (env.BERTH_API_URL) {
    const token = env.BERTH_TOKEN ?? readCredentials(homeLayout(defaultHome(env)).credentials);
    return new BerthClient({ url: env.BERTH_API_URL, token });
  }
  const layout = homeLayout(defaultHome(env));
  // Only the daemon this home's server.json names serves it: whatever else answers on the
  // default port belongs to another home and would not know this home's token.
  const info = readServerInfo(layout.serverInfo);
  if (info) {
    const client = new BerthClient({
      url: info.apiUrl,
      token: env.BERTH_TOKEN ?? readCredentials(layout.credentials),
    });
    if (await answers(client)) return client;
  }
  return autostart(layout.root, env, out);
}

/** The daemon the CLI would talk to, when one answers; never starts one (`berth server status`). */
export async function connectExisting(env: NodeJS.ProcessEnv): Promise<BerthClient | undefined> {
  if (env.BERTH_API_URL) {
    const token = env.BERTH_TOKEN ?? readCredentials(homeLayout(defaultHome(env)).credentials);
    const client = new BerthClient({ url: env.BERTH_API_URL, token });
    return (await answers(client)) ? client : undefined;
  }
  const layout = homeLayout(defaultHome(env));
  const info = readServerInfo(layout.serverInfo);
  if (!info) return undefined;
  const client = new BerthClient({
    url: info.apiUrl,
    token: env.BERTH_TOKEN ?? readCredentials(layout.credentials),
  });
  return (await answers(client)) ? client : undefined;
}

async function answers(client: BerthClient): Promise<boolean> {
  try {
    await client.health(1500);
    return true;
  } catch {
    return false;
  }
}

async function autostart(home: string, env: NodeJS.ProcessEnv, out: Output): Promise<BerthClient> {
  const layout = homeLayout(home);
  mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  const logFd = openSync(layout.daemonLog, 'a', 0o600);
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'server', '--home', layout.root], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env,
  });
  child.unref();
  const deadline = Date.now() + AUTOSTART_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    // Two commands may race to start a daemon: the one that loses the home's lock exits, and
    // its command uses the winner, which holds the lock and writes server.json once it serves.
    const holder = lockHolderPid(layout);
    const info = readServerInfo(layout.serverInfo);
    if (!info || (info.pid !== child.pid && info.pid !== holder)) {
      if (child.exitCode !== null && (holder === undefined || holder === child.pid)) break;
      continue;
    }
    const client = new BerthClient({
      url: info.apiUrl,
      token: env.BERTH_TOKEN ?? readCredentials(layout.credentials),
    });
    if (await answers(client)) {
      out.note(
        info.pid === child.pid
          ? `berth: started a local daemon (pid ${info.pid}) on ${info.apiUrl}, apps on ${info.proxyUrl}; log: ${layout.daemonLog}`
          : `berth: using the local daemon (pid ${info.pid}) another command started meanwhile on ${info.apiUrl}`,
      );
      return client;
    }
  }
  throw new ApiError(
    'daemon_unreachable',
    `no berth daemon answered, and starting one in ${layout.root} failed`,
    `Read ${layout.daemonLog}, or start it yourself with \`berth server\`.`,
    0,
  );
}
