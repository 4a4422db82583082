// One health probe against one machine: an HTTP request or a TCP connect, with a timeout.
// Never throws; every failure becomes { ok: false, detail } with a short, human reason.
//
// Probes always go to the machine's own address (host:port from its driver handle). With the
// process driver a machine listens on the host port it was given in $PORT, not on the config's
// internal_port, so a check whose `port` differs from the service's internal port is still
// probed at that address; the Docker driver will map each internal port properly.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP } from 'node:net';
import { splitAddress } from '../readiness.js';

export interface ProbeOutcome {
  ok: boolean;
  detail: string;
}

export interface HttpProbeOptions {
  /** host:port of the machine. */
  address: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The app's hostname (<app>.<domain>), sent as Host unless the check sets its own. */
  hostHeader: string;
  protocol: 'http' | 'https';
  timeoutMs: number;
  /** Aborting cancels the probe in flight (it then resolves as a failure). */
  signal?: AbortSignal;
}

export interface TcpProbeOptions {
  address: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** 2xx and 3xx pass (a redirect means the app is up and answering), anything else fails. */
export function probeHttp(options: HttpProbeOptions): Promise<ProbeOutcome> {
  const [host, port] = hostAndPort(options.address);
  const headers: Record<string, string> = { ...options.headers };
  // A Host the check writes itself wins: fly lets checks set it for apps that route by host.
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.Host = options.hostHeader;
  const request = options.protocol === 'https' ? httpsRequest : httpRequest;

  return new Promise((resolve) => {
    if (options.signal?.aborted) return resolve({ ok: false, detail: 'aborted' });
    const req = request({
      host,
      port,
      method: options.method,
      path: options.path,
      headers,
      // A fresh connection per probe: a pooled socket could hide that the app stopped accepting.
      agent: false,
      // The machine is reached by address, so its certificate cannot be verified against it;
      // the check asks whether the app answers, not who it is (fly's tls_skip_verify).
      ...(options.protocol === 'https' && {
        rejectUnauthorized: false,
        ...(isIP(serverName(options.hostHeader)) === 0 && { servername: serverName(options.hostHeader) }),
      }),
    });
    let settled = false;
    const settle = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const stop = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
    };
    // One timer bounds connect, headers and body, so a hung app cannot stall the probe.
    const timer = setTimeout(() => {
      settle({ ok: false, detail: `timed out after ${options.timeoutMs}ms` });
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      settle({ ok: false, detail: 'aborted' });
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      settle({ ok: status >= 200 && status < 400, detail: `${status} ${res.statusMessage ?? ''}`.trim() });
      // Drain the body so the connection closes cleanly; the timer still bounds it.
      res.resume();
      res.once('end', stop);
      res.once('error', stop);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      settle({ ok: false, detail: describeError(err) });
      stop();
    });
    req.end();
  });
}

/** Passes when something accepts a TCP connection at the address. */
export function probeTcp(options: TcpProbeOptions): Promise<ProbeOutcome> {
  const [host, port] = hostAndPort(options.address);
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ ok: false, detail: 'aborted' });
      return;
    }
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => done({ ok: false, detail: 'aborted' });
    const timer = setTimeout(
      () => done({ ok: false, detail: `timed out after ${options.timeoutMs}ms` }),
      options.timeoutMs,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ ok: true, detail: `accepting connections on ${options.address}` }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: describeError(err) }));
  });
}

function describeError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    default:
      return err.message || String(err.code ?? 'error');
  }
}

/** splitAddress, minus the brackets of an IPv6 literal ("[::1]:80"). */
function hostAndPort(address: string): [string, number] {
  const [host, port] = splitAddress(address);
  return [host.replace(/^\[(.*)\]$/, '$1'), port];
}

/** The TLS server name: the Host without a port. */
function serverName(hostHeader: string): string {
  return hostHeader.replace(/:\d+$/, '');
}
