// What every command handler gets: output, environment, working directory, and a client
// that connects (and autostarts a local daemon) only when a command first needs it.
import type { BerthClient } from '../sdk/client.js';
import { connect } from './connect.js';
import { stdio, type Output } from './output.js';

export interface CliContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  client(): Promise<BerthClient>;
}

export function createContext(env = process.env, cwd = process.cwd(), out: Output = stdio): CliContext {
  let client: Promise<BerthClient> | undefined;
  return { out, env, cwd, client: () => (client ??= connect(env, out)) };
}
