import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostname, defaultHostOwner } from '../../src/core/net/hostname.js';
import { httpsRedirect, wantsForceHttps } from '../../src/core/net/https-redirect.js';
import { formatAddress, parseAddressArg } from '../../src/core/net/ip-address.js';
import { ipVersion } from '../../src/core/net/ip-literal.js';
import { loadConfigText } from '../../src/config/load.js';
import type { AppConfig } from '../../src/core/config/types.js';

function config(toml: string): AppConfig {
  const loaded = loadConfigText(toml, 'berth.toml');
  assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

test('hostname validation: normalizes good names, explains bad ones', () => {
  const cases: { input: string; host?: string; problem?: RegExp }[] = [
    { input: 'www.example.com', host: 'www.example.com' },
    { input: '  WWW.Example.COM. ', host: 'www.example.com' },
    { input: 'shop.localhost', host: 'shop.localhost' },
    { input: 'a-b.c0.io', host: 'a-b.c0.io' },
    { input: 'xn--bcher-kva.example', host: 'xn--bcher-kva.example' },
    { input: '', problem: /empty/ },
    { input: 'localhost', problem: /single label/ },
    { input: '*.example.com', problem: /wildcard/ },
    { input: 'https://example.com', problem: /URL/ },
    { input: 'example.com:8443', problem: /port/ },
    { input: '127.0.0.1', problem: /IP address/ },
    { input: '::1', problem: /IP address/ },
    { input: '-bad.example.com', problem: /invalid label "-bad"/ },
    { input: 'bad-.example.com', problem: /invalid label "bad-"/ },
    { input: 'a..b.com', problem: /invalid label ""/ },
    { input: 'under_score.example.com', problem: /invalid label/ },
    { input: `${'a'.repeat(64)}.com`, problem: /invalid label/ },
    { input: `${'a.'.repeat(127)}com`, problem: /longer than 253/ },
  ];
  for (const c of cases) {
    const got = checkHostname(c.input);
    if (c.host !== undefined) {
      assert.deepEqual(got, { ok: true, host: c.host }, c.input);
    } else {
      assert.equal(got.ok, false, c.input);
      if (!got.ok) {
        assert.match(got.problem, c.problem!, c.input);
        assert.ok(got.hint.length > 0, c.input);
      }
    }
  }
});

test('default host owner: <app>.<domain> names an app, deeper names do not', () => {
  const cases: { host: string; domain: string; owner: string | undefined }[] = [
    { host: 'web.localhost', domain: 'localhost', owner: 'web' },
    { host: 'web.apps.example.com', domain: 'apps.example.com', owner: 'web' },
    { host: 'a.web.localhost', domain: 'localhost', owner: undefined },
    { host: 'www.example.com', domain: 'localhost', owner: undefined },
    { host: 'localhost', domain: 'localhost', owner: undefined },
  ];
  for (const c of cases) assert.equal(defaultHostOwner(c.host, c.domain), c.owner, c.host);
});

test('https redirect: same host and path on the TLS port, 301 for GET/HEAD, 308 otherwise', () => {
  const cases: {
    method: string;
    host: string;
    url: string;
    port: number;
    status: number;
    location: string;
  }[] = [
    {
      method: 'GET',
      host: 'web.localhost:8080',
      url: '/a?b=1',
      port: 8443,
      status: 301,
      location: 'https://web.localhost:8443/a?b=1',
    },
    {
      method: 'HEAD',
      host: 'web.localhost',
      url: '/',
      port: 8443,
      status: 301,
      location: 'https://web.localhost:8443/',
    },
    {
      method: 'POST',
      host: 'web.localhost:80',
      url: '/form',
      port: 443,
      status: 308,
      location: 'https://web.localhost/form',
    },
    {
      method: 'DELETE',
      host: 'example.com',
      url: '/x',
      port: 443,
      status: 308,
      location: 'https://example.com/x',
    },
    { method: 'GET', host: '[::1]:8080', url: '/', port: 9443, status: 301, location: 'https://[::1]:9443/' },
    {
      method: 'GET',
      host: 'a.example',
      url: 'http://a.example:8080/p?q',
      port: 8443,
      status: 301,
      location: 'https://a.example:8443/p?q',
    },
    {
      method: 'GET',
      host: 'a.example',
      url: 'http://a.example',
      port: 8443,
      status: 301,
      location: 'https://a.example:8443/',
    },
  ];
  for (const c of cases) {
    assert.deepEqual(
      httpsRedirect(c.method, c.host, c.url, c.port),
      { status: c.status, location: c.location },
      `${c.method} ${c.host}${c.url}`,
    );
  }
});

test('force_https: from [http_service] or an http port of [[services]]', () => {
  const cases: { toml: string; want: boolean }[] = [
    { toml: '', want: false },
    { toml: '[http_service]\ninternal_port = 3000', want: false },
    { toml: '[http_service]\ninternal_port = 3000\nforce_https = true', want: true },
    {
      toml: '[[services]]\ninternal_port = 3000\n[[services.ports]]\nport = 80\nhandlers = ["http"]\nforce_https = true',
      want: true,
    },
    {
      toml: '[[services]]\ninternal_port = 3000\n[[services.ports]]\nport = 7000\nforce_https = true',
      want: false,
    },
  ];
  for (const c of cases) assert.equal(wantsForceHttps(config(c.toml)), c.want, c.toml);
});

test('address arguments: [ADDR][:PORT], IPv6 in brackets', () => {
  const cases: { text: string; want: ReturnType<typeof parseAddressArg> | RegExp }[] = [
    { text: '', want: { ok: true } },
    { text: '127.0.0.2', want: { ok: true, address: '127.0.0.2' } },
    { text: '127.0.0.1:9000', want: { ok: true, address: '127.0.0.1', port: 9000 } },
    { text: ':9000', want: { ok: true, port: 9000 } },
    { text: '::1', want: { ok: true, address: '::1' } },
    { text: '[::1]:9000', want: { ok: true, address: '::1', port: 9000 } },
    { text: '[::1]', want: { ok: true, address: '::1' } },
    { text: 'example.com:80', want: /not an IP address/ },
    { text: '127.0.0.1:0', want: /not a port/ },
    { text: '127.0.0.1:70000', want: /not a port/ },
    { text: '127.0.0.1:http', want: /not a port/ },
    { text: '300.1.1.1', want: /not an IP address/ },
  ];
  for (const c of cases) {
    const got = parseAddressArg(c.text);
    if (c.want instanceof RegExp) {
      assert.equal(got.ok, false, c.text);
      if (!got.ok) assert.match(got.problem, c.want, c.text);
    } else {
      assert.deepEqual(got, c.want, c.text);
    }
  }
  assert.equal(formatAddress('::1', 80), '[::1]:80');
  assert.equal(formatAddress('10.0.0.1', 80), '10.0.0.1:80');
});

test('IP literals: the same answers as node:net isIP', async () => {
  const { isIP } = await import('node:net');
  const samples = [
    '0.0.0.0',
    '127.0.0.1',
    '255.255.255.255',
    '256.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '1.2.3.4.5',
    '::',
    '::1',
    '1::',
    'fe80::1',
    'fe80::1%eth0',
    '2001:db8::8a2e:370:7334',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::ffff:1.2.3.4',
    '1::2::3',
    'g::1',
    '12345::1',
    'example.com',
    '',
  ];
  for (const s of samples) assert.equal(ipVersion(s), isIP(s), s);
});
