// What every command handler gets: output, environment, working directory, and a client
// that connects (and autostarts a local daemon) only when a command first needs it.
import type { BerthClient } from '../sdk/client.js';
import { stdio, type Output } from './output.js';

export interface CliContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  client(): Promise<BerthClient>;
}

export function createContext(env = process.env, cwd = process.cwd(), out: Output = stdio): CliContext {
  let client: Promise<BerthClient> | undefined;
  // Imported on first use: commands that never talk to the daemon do not load the SDK.
  const connect = async () => (await import('./connect.js')).connect(env, out);
  return { out, env, cwd, client: () => (client ??= connect()) };
}
