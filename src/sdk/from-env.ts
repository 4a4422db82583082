// Where a program finds the daemon, as the CLI does but without starting one: BERTH_API_URL
// and BERTH_TOKEN, else the local home's server.json and credentials (BERTH_HOME, else ~/.berth).
import { ApiError } from './api-error.js';
import type { ClientOptions } from './client.js';

export async function clientOptionsFromEnv(env: NodeJS.ProcessEnv): Promise<ClientOptions> {
  // Small readers of the home's files (node:fs only); loaded when asked for.
  const { defaultHome, homeLayout } = await import('../daemon/home.js');
  const { readCredentials } = await import('../daemon/credentials.js');
  const layout = homeLayout(defaultHome(env));
  const token = env.BERTH_TOKEN || readCredentials(layout.credentials);
  if (env.BERTH_API_URL) return { url: env.BERTH_API_URL, ...(token && { token }) };
  const { readServerInfo } = await import('../daemon/server-info.js');
  const info = readServerInfo(layout.serverInfo);
  if (!info) {
    throw new ApiError(
      'daemon_unreachable',
      `BERTH_API_URL is not set and no daemon has run in ${layout.root}`,
      'Set BERTH_API_URL (and BERTH_TOKEN) to the daemon, or start one here with `berth server`.',
      0,
    );
  }
  return { url: info.apiUrl, ...(token && { token }) };
}
