// `berth server`'s proxy limits: a flag each, defaulting to an environment variable, else to
// the proxy's own default (shown in --help). Every value is judged before the daemon starts.
import type { Command } from 'commander';
import { parseCidrList } from '../core/net/cidr.js';
import { formatDuration } from '../core/config/duration.js';
import { BerthError } from '../core/errors.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from '../proxy/limits.js';
import { durationFlag } from './duration-flag.js';

type DurationKey =
  | 'connectTimeoutMs'
  | 'responseHeaderTimeoutMs'
  | 'responseIdleTimeoutMs'
  | 'requestBodyTimeoutMs'
  | 'queueTimeoutMs';

const DURATIONS: { flag: string; key: DurationKey; env: string; what: string }[] = [
  {
    flag: 'proxy-connect-timeout',
    key: 'connectTimeoutMs',
    env: 'BERTH_PROXY_CONNECT_TIMEOUT',
    what: 'connecting to a machine (then the next is tried, else 502)',
  },
  {
    flag: 'proxy-response-header-timeout',
    key: 'responseHeaderTimeoutMs',
    env: 'BERTH_PROXY_RESPONSE_HEADER_TIMEOUT',
    what: "waiting for a machine's response headers (504)",
  },
  {
    flag: 'proxy-response-idle-timeout',
    key: 'responseIdleTimeoutMs',
    env: 'BERTH_PROXY_RESPONSE_IDLE_TIMEOUT',
    what: 'longest pause in a response body, or in a machine reading a request body (cut off)',
  },
  {
    flag: 'proxy-request-body-timeout',
    key: 'requestBodyTimeoutMs',
    env: 'BERTH_PROXY_REQUEST_BODY_TIMEOUT',
    what: "longest pause in a client's request body (408)",
  },
  {
    flag: 'proxy-queue-timeout',
    key: 'queueTimeoutMs',
    env: 'BERTH_PROXY_QUEUE_TIMEOUT',
    what: 'longest wait for a machine under its concurrency hard_limit (503)',
  },
];

const COUNTS: {
  flag: string;
  key: 'requestBodyMinRate' | 'queueLimit';
  env: string;
  what: string;
  min: number;
}[] = [
  {
    flag: 'proxy-request-body-min-rate',
    key: 'requestBodyMinRate',
    env: 'BERTH_PROXY_REQUEST_BODY_MIN_RATE',
    what: 'slowest request body, bytes/s averaged after 5s; 0 turns it off (408)',
    min: 0,
  },
  {
    flag: 'proxy-queue-limit',
    key: 'queueLimit',
    env: 'BERTH_PROXY_QUEUE_LIMIT',
    what: 'requests waiting per app when its machines are full (503 beyond)',
    min: 0,
  },
];

const TRUSTED = { flag: 'proxy-trusted-proxies', env: 'BERTH_PROXY_TRUSTED_PROXIES' };

/** Commander's camelCase name of a flag. */
function optionName(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function addProxyLimitOptions(command: Command, env: NodeJS.ProcessEnv): Command {
  for (const d of DURATIONS) {
    command.option(
      `--${d.flag} <duration>`,
      `${d.what} (default $${d.env}, else ${formatDuration(DEFAULT_PROXY_LIMITS[d.key])})`,
      env[d.env],
    );
  }
  for (const c of COUNTS) {
    command.option(
      `--${c.flag} <n>`,
      `${c.what} (default $${c.env}, else ${DEFAULT_PROXY_LIMITS[c.key]})`,
      env[c.env],
    );
  }
  command.option(
    `--${TRUSTED.flag} <cidrs>`,
    `comma-separated addresses or CIDR ranges of proxies in front of berth whose X-Forwarded-For is extended rather than replaced (default $${TRUSTED.env}, else none)`,
    env[TRUSTED.env],
  );
  return command;
}

/** The limits the flags (or their variables) set; the rest keep the proxy's defaults. */
export function proxyLimitsFromOptions(opts: Record<string, unknown>): Partial<ProxyLimits> {
  const limits: Partial<ProxyLimits> = {};
  for (const d of DURATIONS) {
    const text = opts[optionName(d.flag)];
    if (typeof text === 'string') limits[d.key] = durationFlag(`--${d.flag}`, 100, 86_400_000)(text);
  }
  for (const c of COUNTS) {
    const text = opts[optionName(c.flag)];
    if (typeof text !== 'string') continue;
    const n = /^\d{1,9}$/.test(text.trim()) ? Number(text) : NaN;
    if (!(n >= c.min)) {
      throw new BerthError(
        'invalid_request',
        `--${c.flag} "${text}" is not a whole number of at least ${c.min}`,
        {
          hint: `Give a number, e.g. --${c.flag} ${DEFAULT_PROXY_LIMITS[c.key]}.`,
        },
      );
    }
    limits[c.key] = n;
  }
  const trusted = opts[optionName(TRUSTED.flag)];
  if (typeof trusted === 'string') {
    const parsed = parseCidrList(trusted);
    if (!parsed.ok) {
      throw new BerthError('invalid_request', `--${TRUSTED.flag}: ${parsed.problem}`, { hint: parsed.hint });
    }
    limits.trustedProxies = parsed.cidrs;
  }
  return limits;
}
