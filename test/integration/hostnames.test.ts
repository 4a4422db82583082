// Hostnames, TLS by SNI, force_https, TCP passthrough and dedicated addresses, through a real
// daemon with a TLS listener, the real CLI and real HTTPS. None of it may make a release or
// touch a machine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import type { MachineInfo, ReleaseInfo } from '../../src/sdk/types.js';
import type { CertificateInfo, IpInfo } from '../../src/sdk/net-types.js';
import { TestDaemon, eventually, httpRequest, type HttpResult } from '../helpers/daemon.js';
import { allocatePort } from '../../src/drivers/process/free-port.js';

const TLS_ENV = { BERTH_PROXY_TLS_LISTEN: '127.0.0.1:0' };

const WEB = `
import http from 'node:http';
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ app: process.env.BERTH_APP, machine: process.env.BERTH_MACHINE_ID,
    host: req.headers.host, proto: req.headers['x-forwarded-proto'], method: req.method, url: req.url }));
}).listen(Number(process.env.PORT));
`;

const ECHO = `
import net from 'node:net';
net.createServer((s) => s.on('data', (d) => s.write('echo:' + d))).listen(Number(process.env.PORT));
`;

let daemon: TestDaemon;
let work: string;
let echoPort: number;

function writeApp(name: string, file: string, source: string, service: string[]): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), source);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(dir, 'berth.toml'),
    [
      `app = "${name}"`,
      'kill_signal = "SIGTERM"',
      'kill_timeout = "3s"',
      '[processes]',
      `app = "node ${file}"`,
      ...service,
    ].join('\n') + '\n',
  );
  return dir;
}

const tlsPort = () => Number(new URL(daemon.info.proxyTlsUrl!).port);
const proxyPort = () => Number(new URL(daemon.info.proxyUrl).port);
const caCert = () => readFileSync(daemon.info.caCertPath);

/** An HTTPS request to the TLS listener with SNI and Host `servername`, trusting only `ca`. */
function httpsRequest(
  servername: string,
  ca: Buffer | string,
  path = '/',
  method = 'GET',
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: tlsPort(),
        servername,
        ca,
        path,
        method,
        headers: { host: `${servername}:${tlsPort()}` },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** HTTPS to 127.0.0.1:port by IP, so no SNI is sent; trusts only `ca`. */
function httpsByIp(port: number, ca: Buffer): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, ca, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function plain(host: string, path = '/', method = 'GET', port = proxyPort()): Promise<HttpResult> {
  return httpRequest({ host: '127.0.0.1', port, path, method, headers: { host } });
}

/** Sends a line over TCP and resolves with the first answer. */
function echoOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(text));
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
    socket.once('data', (d) => {
      resolve(d.toString());
      socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed without an answer')));
  });
}

async function machineSnapshot(app: string): Promise<string> {
  const machines = await daemon.cliJson<MachineInfo[]>(['machine', 'list', '-a', app]);
  return machines
    .map((m) => `${m.id} ${m.startedAt} ${m.state} v${m.releaseVersion}`)
    .sort()
    .join('\n');
}

async function releaseCount(app: string): Promise<number> {
  return (await daemon.cliJson<ReleaseInfo[]>(['releases', '-a', app])).length;
}

let before_: { web: string; secure: string; echo: string; releases: number[] };

before(async () => {
  daemon = await TestDaemon.start(TLS_ENV);
  work = join(daemon.home, 'work');
  echoPort = await allocatePort();
  const apps = [
    writeApp('web', 'server.js', WEB, ['[http_service]', 'internal_port = 8080']),
    writeApp('secure', 'server.js', WEB, ['[http_service]', 'internal_port = 8080', 'force_https = true']),
    writeApp('echo', 'echo.js', ECHO, [
      '[[services]]',
      'internal_port = 5000',
      'protocol = "tcp"',
      '[[services.ports]]',
      `port = ${echoPort}`,
    ]),
  ];
  for (const dir of apps) {
    const result = await daemon.cli(['deploy', dir]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
  }
  before_ = {
    web: await machineSnapshot('web'),
    secure: await machineSnapshot('secure'),
    echo: await machineSnapshot('echo'),
    releases: [await releaseCount('web'), await releaseCount('secure'), await releaseCount('echo')],
  };
});

after(async () => {
  await daemon.destroy();
});

test('server info names the TLS listener and the local CA certificate', () => {
  assert.match(daemon.info.proxyTlsUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(daemon.info.caCertPath.endsWith('/ca/root.crt'));
});

test('certs add with the local CA: HTTPS by SNI reaches the app, trusting only the CA', async () => {
  const added = await daemon.cli(['certs', 'add', 'WWW.Example.Test', '-a', 'web']);
  assert.equal(added.code, 0, added.stderr + added.stdout);
  assert.match(added.stdout, /www\.example\.test now routes to web/);
  assert.ok(added.stdout.includes(daemon.info.caCertPath), added.stdout);
  assert.ok(!added.stdout.includes('PRIVATE KEY'));

  const res = await httpsRequest('www.example.test', caCert());
  assert.equal(res.status, 200, res.body);
  const body = JSON.parse(res.body) as { app: string; proto: string; host: string };
  assert.equal(body.app, 'web');
  assert.equal(body.proto, 'https');
  assert.equal(body.host, `www.example.test:${tlsPort()}`);

  // The same hostname over plain HTTP goes to the same app.
  const viaPlain = await plain('www.example.test');
  assert.equal(JSON.parse(viaPlain.body).app, 'web');

  // The key is on disk, private; the CA key too.
  const { statSync } = await import('node:fs');
  assert.equal(statSync(join(daemon.home, 'certs', 'www.example.test.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(daemon.home, 'ca', 'root.key')).mode & 0o777, 0o600);
});

test("an app's default <app>.<domain> host gets a local-CA certificate on demand", async () => {
  const res = await httpsRequest(`web.${daemon.info.domain}`, caCert());
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).app, 'web');
  // A name no app answers to gets no certificate at all.
  await assert.rejects(httpsRequest('nothing.example.test', caCert()));
});

test('certs list and show: issuer, names, not-after, source; never a key', async () => {
  const list = await daemon.cliJson<{ certificates: CertificateInfo[]; caCertPath: string }>([
    'certs',
    'list',
    '-a',
    'web',
  ]);
  assert.deepEqual(
    list.certificates.map((c) => c.hostname),
    ['www.example.test'],
  );
  const c = list.certificates[0]!;
  assert.equal(c.source, 'local-ca');
  assert.match(c.issuer, /berth local CA/);
  assert.deepEqual(c.names, ['www.example.test']);
  assert.ok(Date.parse(c.notAfter) > Date.now());
  const show = await daemon.cli(['certs', 'show', 'www.example.test', '-a', 'web']);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /Issuer: +CN=berth local CA/);
  assert.match(show.stdout, /Not after: +\d{4}-/);
  for (const path of ['/v1/apps/web/certs', '/v1/apps/web/certs/www.example.test']) {
    const res = await daemon.api('GET', path);
    assert.equal(res.status, 200);
    assert.ok(!/PRIVATE KEY|"key"/.test(res.body), res.body);
  }
});

test('certs add --cert/--key: a certificate made with openssl is served as given', async () => {
  const dir = join(work, 'tls');
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=api.example.test',
      '-addext',
      'subjectAltName=DNS:api.example.test',
    ],
    { stdio: 'ignore' },
  );
  const added = await daemon.cli([
    'certs',
    'add',
    'api.example.test',
    '--cert',
    cert,
    '--key',
    key,
    '-a',
    'web',
  ]);
  assert.equal(added.code, 0, added.stderr + added.stdout);
  assert.match(added.stdout, /uploaded/);
  assert.ok(!added.stdout.includes(readFileSync(key, 'utf8').split('\n')[1]!));

  const res = await httpsRequest('api.example.test', readFileSync(cert));
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).app, 'web');
  // It is not signed by the local CA, so trusting only the CA fails: the uploaded one is served.
  await assert.rejects(httpsRequest('api.example.test', caCert()));
});

test('a key that does not match the certificate is refused with a 400 and a hint', async () => {
  const dir = join(work, 'tls');
  const wrongKey = join(dir, 'wrong.pem');
  execFileSync(
    'openssl',
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', wrongKey],
    { stdio: 'ignore' },
  );
  const result = await daemon.cli([
    'certs',
    'add',
    'api2.example.test',
    '--cert',
    join(dir, 'cert.pem'),
    '--key',
    wrongKey,
    '-a',
    'web',
  ]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /does not belong to the certificate/);
  assert.match(result.stderr, /hint: /);
  assert.ok(!result.stderr.includes(readFileSync(wrongKey, 'utf8').split('\n')[1]!));

  const api = await daemon.api('POST', '/v1/apps/web/certs', {
    contentType: 'application/json',
    body: JSON.stringify({
      hostname: 'api.example.test',
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(wrongKey, 'utf8'),
    }),
  });
  assert.equal(api.status, 400);
  assert.equal(JSON.parse(api.body).error.code, 'certificate_invalid');
  // The refused add left the hostname's own certificate in place.
  assert.equal((await httpsRequest('api.example.test', readFileSync(join(dir, 'cert.pem')))).status, 200);
});

test('bad hostnames and hostnames of another app are refused, naming the problem', async () => {
  const cases: { args: string[]; status: number; message: RegExp }[] = [
    {
      args: ['certs', 'add', 'www.example.test', '-a', 'secure'],
      status: 409,
      message: /already a hostname of app "web"/,
    },
    { args: ['certs', 'add', 'web.localhost', '-a', 'secure'], status: 409, message: /address of app "web"/ },
    { args: ['certs', 'add', '*.example.test', '-a', 'web'], status: 400, message: /wildcard/ },
    { args: ['certs', 'add', 'bad_name.example.test', '-a', 'web'], status: 400, message: /invalid label/ },
    { args: ['certs', 'add', '127.0.0.1', '-a', 'web'], status: 400, message: /berth ips allocate/ },
    { args: ['certs', 'remove', 'nope.example.test', '-a', 'web'], status: 404, message: /has no hostname/ },
  ];
  for (const c of cases) {
    const result = await daemon.cli([...c.args, '--json']);
    assert.notEqual(result.code, 0, c.args.join(' '));
    const body = JSON.parse(result.stdout || result.stderr) as { error: { message: string; hint: string } };
    assert.match(body.error.message + ' ' + body.error.hint, c.message, c.args.join(' '));
  }
  const api = await daemon.api('POST', '/v1/apps/secure/certs', {
    contentType: 'application/json',
    body: JSON.stringify({ hostname: 'www.example.test' }),
  });
  assert.equal(api.status, 409);
});

test('force_https: plain HTTP answers 301 (GET/HEAD) or 308 to the TLS port; HTTPS serves', async () => {
  const host = `secure.${daemon.info.domain}`;
  const get = await plain(`${host}:${proxyPort()}`, '/a/b?c=1');
  assert.equal(get.status, 301);
  assert.equal(get.headers.location, `https://${host}:${tlsPort()}/a/b?c=1`);
  const head = await plain(host, '/', 'HEAD');
  assert.equal(head.status, 301);
  const post = await plain(host, '/form', 'POST');
  assert.equal(post.status, 308);
  assert.equal(post.headers.location, `https://${host}:${tlsPort()}/form`);
  const res = await httpsRequest(host, caCert(), '/a/b?c=1');
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).url, '/a/b?c=1');
  // Apps without force_https are not redirected.
  assert.equal((await plain(`web.${daemon.info.domain}`)).status, 200);
});

test('a [[services]] TCP port is passed through to the app', async () => {
  const answer = await eventually(() => echoOnce(echoPort, 'ping'), 10_000, 'TCP passthrough');
  assert.equal(answer, 'echo:ping');
  // A client that half-closes after its request still gets the whole answer.
  const whole = await new Promise<string>((resolve, reject) => {
    let got = '';
    const socket = net.connect({ host: '127.0.0.1', port: echoPort }, () => socket.end('half'));
    socket.on('data', (d) => (got += d.toString()));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
  assert.equal(whole, 'echo:half');
});

test('ips allocate/list/release: a dedicated listener serving one app whatever the Host', async () => {
  const ip = await daemon.cliJson<IpInfo>(['ips', 'allocate', '-a', 'web']);
  assert.equal(ip.address, '127.0.0.1');
  assert.ok(ip.port > 0);
  const res = await plain('anything.example', '/', 'GET', ip.port);
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).app, 'web');

  const taken = await daemon.cli(['ips', 'allocate', `127.0.0.1:${ip.port}`, '-a', 'secure']);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, /already allocated to app "web"/);
  const inUse = await daemon.cli(['ips', 'allocate', `127.0.0.1:${proxyPort()}`, '-a', 'secure']);
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /already in use/);
  const bad = await daemon.cli(['ips', 'allocate', 'example.com:80', '-a', 'web']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /not an IP address/);

  const extra = await daemon.cliJson<IpInfo>(['ips', 'allocate', '127.0.0.1', '-a', 'secure']);
  const list = await daemon.cliJson<IpInfo[]>(['ips', 'list', '-a', 'secure']);
  assert.deepEqual(
    list.map((i) => [i.port, i.listening]),
    [[extra.port, true]],
  );
  const released = await daemon.cli(['ips', 'release', `127.0.0.1:${extra.port}`, '-a', 'secure']);
  assert.equal(released.code, 0, released.stderr);
  await assert.rejects(plain('x', '/', 'GET', extra.port));
  assert.deepEqual(await daemon.cliJson<IpInfo[]>(['ips', 'list', '-a', 'secure']), []);

  // With --tls: HTTPS by IP (no SNI) with a local-CA certificate for the address, no redirect.
  const tls = await daemon.cliJson<IpInfo>(['ips', 'allocate', '--tls', '-a', 'secure']);
  assert.equal(tls.tls, true);
  assert.equal(tls.url, `https://127.0.0.1:${tls.port}`);
  const overTls = await httpsByIp(tls.port, caCert());
  assert.equal(overTls.status, 200);
  const seen = JSON.parse(overTls.body) as { app: string; proto: string };
  assert.deepEqual([seen.app, seen.proto], ['secure', 'https']);
});

test('none of it made a release or touched a machine', async () => {
  assert.equal(await machineSnapshot('web'), before_.web);
  assert.equal(await machineSnapshot('secure'), before_.secure);
  assert.equal(await machineSnapshot('echo'), before_.echo);
  assert.deepEqual(
    [await releaseCount('web'), await releaseCount('secure'), await releaseCount('echo')],
    before_.releases,
  );
});

test('after a daemon restart: hostnames, certificates, force_https, passthrough and addresses are back', async () => {
  const [ip] = await daemon.cliJson<IpInfo[]>(['ips', 'list', '-a', 'web']);
  assert.ok(ip);
  assert.equal(await daemon.terminate(), 0);
  await daemon.boot(TLS_ENV);

  const res = await httpsRequest('www.example.test', caCert());
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).app, 'web');
  assert.equal(
    (await httpsRequest('api.example.test', readFileSync(join(work, 'tls', 'cert.pem')))).status,
    200,
  );
  const redirect = await plain(`secure.${daemon.info.domain}`);
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, `https://secure.${daemon.info.domain}:${tlsPort()}/`);
  assert.equal(
    await eventually(() => echoOnce(echoPort, 'again'), 10_000, 'passthrough after restart'),
    'echo:again',
  );
  const dedicated = await eventually(
    () => plain('whatever', '/', 'GET', ip.port),
    10_000,
    'dedicated listener after restart',
  );
  assert.equal(JSON.parse(dedicated.body).app, 'web');
  const [tlsIp] = await daemon.cliJson<IpInfo[]>(['ips', 'list', '-a', 'secure']);
  const overTls = await eventually(
    () => httpsByIp(tlsIp!.port, caCert()),
    10_000,
    'TLS address after restart',
  );
  assert.equal(JSON.parse(overTls.body).app, 'secure');

  assert.equal(await machineSnapshot('web'), before_.web);
  assert.equal(await machineSnapshot('echo'), before_.echo);
});

test('certs remove and ips release take effect at once, still without touching machines', async () => {
  const removed = await daemon.cli(['certs', 'remove', 'www.example.test', '-a', 'web']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await plain('www.example.test')).status, 404);
  await assert.rejects(httpsRequest('www.example.test', caCert()));
  const [ip] = await daemon.cliJson<IpInfo[]>(['ips', 'list', '-a', 'web']);
  const released = await daemon.cli(['ips', 'release', `127.0.0.1:${ip!.port}`, '-a', 'web']);
  assert.equal(released.code, 0, released.stderr);
  await assert.rejects(plain('x', '/', 'GET', ip!.port));
  assert.equal(await machineSnapshot('web'), before_.web);
  assert.equal(await releaseCount('web'), before_.releases[0]);
});

test('passthrough follows releases: a new port opens, the old one closes, a taken port is reported', async () => {
  const oldPort = echoPort;
  const newPort = await allocatePort();
  const dir = writeApp('echo', 'echo.js', ECHO, [
    '[[services]]',
    'internal_port = 5000',
    'protocol = "tcp"',
    '[[services.ports]]',
    `port = ${newPort}`,
  ]);
  const deployed = await daemon.cli(['deploy', dir]);
  assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  assert.equal(await eventually(() => echoOnce(newPort, 'moved'), 10_000, 'the new port'), 'echo:moved');
  await eventually(
    () =>
      echoOnce(oldPort, 'x').then(
        () => false,
        () => true,
      ),
    10_000,
    'the old port to close',
  );

  // A port something else holds (the proxy's own) is reported, and nothing else breaks.
  const clash = writeApp('clash', 'echo.js', ECHO, [
    '[[services]]',
    'internal_port = 5000',
    'protocol = "tcp"',
    '[[services.ports]]',
    `port = ${proxyPort()}`,
  ]);
  const result = await daemon.cli(['deploy', clash]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  await eventually(
    () =>
      new RegExp(`TCP port ${proxyPort()} of app "clash" could not be opened .*already in use`).test(
        daemon.daemonLog(),
      ),
    10_000,
    'the port conflict in the daemon log',
  );
  // ...and in the release's deploy log.
  await eventually(
    async () =>
      /could not be opened.*already in use/.test(
        (await daemon.cli(['releases', 'show', 'v1', '-a', 'clash'])).stdout,
      ),
    10_000,
    'the port conflict in the release log',
  );
  assert.equal((await plain(`web.${daemon.info.domain}`)).status, 200);
  assert.equal(await echoOnce(newPort, 'still'), 'echo:still');
});

test('destroying an app removes its hostnames, keys and addresses', async () => {
  const added = await daemon.cli(['certs', 'add', 'gone.example.test', '-a', 'clash']);
  assert.equal(added.code, 0, added.stderr);
  const ip = await daemon.cliJson<IpInfo>(['ips', 'allocate', '-a', 'clash']);
  const keyFile = join(daemon.home, 'certs', 'gone.example.test.key');
  const { existsSync } = await import('node:fs');
  assert.ok(existsSync(keyFile));
  const destroyed = await daemon.cli(['apps', 'destroy', 'clash', '--yes']);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  assert.equal(existsSync(keyFile), false);
  assert.equal((await plain('gone.example.test')).status, 404);
  await eventually(
    () =>
      plain('x', '/', 'GET', ip.port).then(
        () => false,
        () => true,
      ),
    10_000,
    'the address to close',
  );
  // The hostname is free for another app now.
  const again = await daemon.cli(['certs', 'add', 'gone.example.test', '-a', 'web']);
  assert.equal(again.code, 0, again.stderr);
});

test('a malformed certs body is refused without quoting it: it may hold a private key', async () => {
  const secretish = 'MIIEvQIB';
  const res = await daemon.api('POST', '/v1/apps/web/certs', {
    // An unquoted value: the parser's own message would quote the text around it.
    body: `{"key":${secretish}}`,
    contentType: 'application/json',
  });
  assert.equal(res.status, 400, res.body);
  assert.match(res.body, /not valid JSON/);
  assert.ok(!res.body.includes(secretish), res.body);
});
