// `berth certs add|list|show|remove`: hostnames routed to an app, served over TLS by SNI with
// a certificate given as files or issued by berth's local CA. No release, no restart.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import { defaultHome, homeLayout } from '../../daemon/home.js';
import type { CertificateInfo, TlsInfo } from '../../sdk/net-types.js';
import type { CliContext } from '../context.js';
import { examples } from '../examples.js';
import { table } from '../output.js';
import { resolveAppName } from '../resolve-app.js';

export function registerCerts(program: Command, ctx: CliContext): void {
  const certs = program
    .command('certs')
    .description('Hostnames of an app and their TLS certificates')
    .addHelpText('after', examples('berth certs add www.example.com', 'berth certs list -a web'));

  certs
    .command('add <host>')
    .description('Route HOST to the app and serve it over TLS (a local-CA certificate unless --cert/--key)')
    .addHelpText(
      'after',
      examples(
        'berth certs add web.internal',
        'berth certs add www.example.com --cert fullchain.pem --key key.pem',
      ),
    )
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--cert <file>', 'certificate chain, PEM, server certificate first')
    .option('--key <file>', 'private key of the certificate, PEM (sent to the daemon, never printed)')
    .option('--json', 'print JSON: {certificate, tlsUrl, caCertPath}')
    .action(async (host: string, opts: { app?: string; cert?: string; key?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      if ((opts.cert === undefined) !== (opts.key === undefined)) {
        throw new BerthError('invalid_request', 'a certificate needs both --cert and --key', {
          hint: 'Pass both files, or neither to have the local CA issue one.',
        });
      }
      const files =
        opts.cert !== undefined && opts.key !== undefined
          ? { cert: readPem(opts.cert, '--cert'), key: readPem(opts.key, '--key') }
          : {};
      const result = await (await ctx.client()).addCert(app, { hostname: host, ...files });
      if (opts.json) return ctx.out.json(result);
      const c = result.certificate;
      ctx.out.line(`${c.hostname} now routes to ${app}.`);
      ctx.out.line(describe(c));
      tlsNotes(ctx, result, c);
    });

  certs
    .command('list')
    .description("List the app's hostnames and their certificates")
    .addHelpText('after', examples('berth certs list -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON: {certificates, tlsUrl, caCertPath}')
    .action(async (opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).listCerts(app);
      if (opts.json) return ctx.out.json(result);
      if (result.certificates.length === 0)
        return ctx.out.line(`${app} has no hostnames; add one with \`berth certs add HOST\`.`);
      ctx.out.line(
        table(
          ['HOSTNAME', 'SOURCE', 'ISSUER', 'NOT AFTER', 'VALIDITY'],
          result.certificates.map((c) => [
            c.hostname,
            c.source,
            shortIssuer(c.issuer),
            c.notAfter,
            validity(c, Date.now()),
          ]),
        ),
      );
    });

  certs
    .command('show <host>')
    .description("One hostname's certificate: issuer, names, validity, source")
    .addHelpText('after', examples('berth certs show www.example.com'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON: {certificate, tlsUrl, caCertPath}')
    .action(async (host: string, opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).getCert(app, host);
      if (opts.json) return ctx.out.json(result);
      const c = result.certificate;
      ctx.out.line(`Hostname:     ${c.hostname} (app ${c.app})`);
      ctx.out.line(`Source:       ${c.source === 'local-ca' ? 'berth local CA' : 'uploaded'}`);
      ctx.out.line(`Issuer:       ${c.issuer}`);
      ctx.out.line(`Names:        ${c.names.join(', ')}`);
      ctx.out.line(`Not before:   ${c.notBefore}`);
      ctx.out.line(`Not after:    ${c.notAfter}`);
      ctx.out.line(`Validity:     ${validity(c, Date.now())}`);
      ctx.out.line(`SHA-256:      ${c.fingerprint}`);
      tlsNotes(ctx, result, c);
    });

  certs
    .command('remove <host>')
    .description('Stop routing HOST to the app; deletes its certificate and key')
    .addHelpText('after', examples('berth certs remove www.example.com -a web'))
    .option('-a, --app <name>', 'app name (default: the app in ./berth.toml)')
    .option('--json', 'print JSON: {removed}')
    .action(async (host: string, opts: { app?: string; json?: boolean }) => {
      const app = resolveAppName(ctx.cwd, opts.app);
      const result = await (await ctx.client()).removeCert(app, host);
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(
        `${result.removed.hostname} no longer routes to ${app}; its certificate and key are deleted.`,
      );
    });
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw new BerthError(
      'invalid_request',
      `cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        hint: `Check the path given to ${flag}.`,
      },
    );
  }
}

function describe(c: CertificateInfo): string {
  const source = c.source === 'local-ca' ? "issued by berth's local CA" : 'uploaded';
  return `Certificate ${source}, for ${c.names.join(', ')}, valid until ${c.notAfter}.`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** "ok", "expires in 5d" inside two weeks, or "EXPIRED"; local-CA ones renew themselves. */
function validity(c: CertificateInfo, now: number): string {
  const left = Date.parse(c.notAfter) - now;
  if (left <= 0) return c.source === 'local-ca' ? 'expired (renewed on next use)' : 'EXPIRED';
  if (left < 14 * DAY_MS && c.source === 'uploaded') return `expires in ${Math.ceil(left / DAY_MS)}d`;
  return 'ok';
}

function shortIssuer(issuer: string): string {
  return /CN=([^,]+)/.exec(issuer)?.[1] ?? issuer;
}

function tlsNotes(ctx: CliContext, tls: TlsInfo, c: CertificateInfo): void {
  if (tls.tlsUrl === null) {
    const file = ctx.env.BERTH_API_URL
      ? "server.toml in the daemon's home"
      : homeLayout(defaultHome(ctx.env)).serverConfig;
    ctx.out.note(
      `The daemon has no TLS listener, so this hostname is not served over HTTPS yet. Turn it on: add the line \`proxy_tls = "127.0.0.1:8443"\` to ${file}, then run \`berth server restart\` (or start the daemon with \`berth server --proxy-tls 127.0.0.1:8443\`; port 0 picks a free port).`,
    );
  } else {
    const port = new URL(tls.tlsUrl).port;
    ctx.out.line(`HTTPS: https://${c.hostname}${port ? `:${port}` : ''}/ (TLS listener ${tls.tlsUrl})`);
  }
  if (c.source === 'local-ca') {
    ctx.out.line(`Clients trust it once they trust berth's local CA certificate: ${tls.caCertPath}`);
  }
}
