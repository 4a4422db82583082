import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import type { AppConfig } from '../../src/core/config/types.js';
import {
  diffListeners,
  machinePortForGroup,
  mergePassthrough,
  passthroughFor,
  type TcpPassthrough,
} from '../../src/core/net/tcp-passthrough.js';

function config(toml: string): AppConfig {
  const loaded = loadConfigText(toml, 'berth.toml');
  assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

const TCP_ONLY = '[[services]]\ninternal_port = 5000\nprotocol = "tcp"\n[[services.ports]]\nport = 7000\n';

test('passthrough listeners: TCP ports without http/tls handlers, with their problems', () => {
  const cases: { name: string; toml: string; groups: string[]; ports: number[]; problems: RegExp[] }[] = [
    { name: 'nothing', toml: '', groups: ['app'], ports: [], problems: [] },
    { name: 'a TCP-only service', toml: TCP_ONLY, groups: ['app'], ports: [7000], problems: [] },
    {
      name: 'http and tls handlers go through the HTTP proxy',
      toml: '[[services]]\ninternal_port = 5000\n[[services.ports]]\nport = 80\nhandlers = ["http"]\n[[services.ports]]\nport = 443\nhandlers = ["tls", "http"]\n',
      groups: ['app'],
      ports: [],
      problems: [],
    },
    {
      name: 'two ports of one service',
      toml: TCP_ONLY + '[[services.ports]]\nport = 7001\n',
      groups: ['app'],
      ports: [7000, 7001],
      problems: [],
    },
    {
      name: 'a service beside http_service in the same group reaches no machine',
      toml: '[http_service]\ninternal_port = 8080\n' + TCP_ONLY,
      groups: ['app'],
      ports: [7000],
      problems: [/services\[0\]: internal_port 5000 reaches no machine/],
    },
    {
      name: 'a service in its own group does',
      toml:
        '[processes]\nweb = "w"\ndb = "d"\n[http_service]\ninternal_port = 8080\nprocesses = ["web"]\n' +
        '[[services]]\ninternal_port = 5000\nprocesses = ["db"]\n[[services.ports]]\nport = 7000\n',
      groups: ['web', 'db'],
      ports: [7000],
      problems: [],
    },
    {
      name: 'udp is not passed through',
      toml: '[[services]]\ninternal_port = 5000\nprotocol = "udp"\n[[services.ports]]\nport = 7000\n',
      groups: ['app'],
      ports: [],
      problems: [/udp/],
    },
  ];
  for (const c of cases) {
    const got = passthroughFor('a', config(c.toml), c.groups);
    assert.deepEqual(
      got.listeners.map((l) => l.port),
      c.ports,
      c.name,
    );
    assert.equal(got.problems.length, c.problems.length, `${c.name}: ${got.problems.join('; ')}`);
    c.problems.forEach((p, i) => assert.match(got.problems[i]!, p, c.name));
  }
});

test('machine port: the HTTP port of the group, else its first TCP service', () => {
  const cases: { toml: string; group: string; port: number | undefined }[] = [
    { toml: '', group: 'app', port: undefined },
    { toml: TCP_ONLY, group: 'app', port: 5000 },
    { toml: '[http_service]\ninternal_port = 8080\n' + TCP_ONLY, group: 'app', port: 8080 },
  ];
  for (const c of cases) assert.equal(machinePortForGroup(config(c.toml), c.group), c.port, c.toml);
});

const l = (app: string, port: number, internalPort = 5000): TcpPassthrough => ({
  app,
  port,
  internalPort,
  processes: [],
});

test('merging apps: one listener per port, the first app keeps it', () => {
  const cases: { name: string; perApp: TcpPassthrough[][]; ports: string[]; conflicts: RegExp[] }[] = [
    {
      name: 'disjoint',
      perApp: [[l('a', 7000)], [l('b', 7001)]],
      ports: ['a:7000', 'b:7001'],
      conflicts: [],
    },
    {
      name: 'two apps on one port',
      perApp: [[l('a', 7000)], [l('b', 7000)]],
      ports: ['a:7000'],
      conflicts: [/port 7000 of app "b" is not opened: app "a" already/],
    },
    {
      name: 'one app listing a port twice',
      perApp: [[l('a', 7000, 5000), l('a', 7000, 6000)]],
      ports: ['a:7000'],
      conflicts: [/listed by two services/],
    },
    {
      name: 'exact duplicate is harmless',
      perApp: [[l('a', 7000), l('a', 7000)]],
      ports: ['a:7000'],
      conflicts: [],
    },
  ];
  for (const c of cases) {
    const got = mergePassthrough(c.perApp);
    assert.deepEqual(
      got.listeners.map((x) => `${x.app}:${x.port}`),
      c.ports,
      c.name,
    );
    assert.equal(got.conflicts.length, c.conflicts.length, c.name);
    c.conflicts.forEach((re, i) => assert.match(got.conflicts[i]!.message, re, c.name));
  }
});

test('listener diff: open new, retarget changed, close gone, keep the rest', () => {
  const key = (x: TcpPassthrough) => String(x.port);
  const same = (a: TcpPassthrough, b: TcpPassthrough) => a.app === b.app && a.internalPort === b.internalPort;
  const cases: {
    name: string;
    current: TcpPassthrough[];
    desired: TcpPassthrough[];
    open: number[];
    retarget: number[];
    close: string[];
  }[] = [
    { name: 'from nothing', current: [], desired: [l('a', 1)], open: [1], retarget: [], close: [] },
    { name: 'to nothing', current: [l('a', 1)], desired: [], open: [], retarget: [], close: ['1'] },
    { name: 'unchanged', current: [l('a', 1)], desired: [l('a', 1)], open: [], retarget: [], close: [] },
    {
      name: 'another app takes the port',
      current: [l('a', 1)],
      desired: [l('b', 1)],
      open: [],
      retarget: [1],
      close: [],
    },
    {
      name: 'internal port changes',
      current: [l('a', 1, 5)],
      desired: [l('a', 1, 6)],
      open: [],
      retarget: [1],
      close: [],
    },
    {
      name: 'mixed',
      current: [l('a', 1), l('a', 2), l('a', 3)],
      desired: [l('a', 1), l('b', 2), l('a', 4)],
      open: [4],
      retarget: [2],
      close: ['3'],
    },
  ];
  for (const c of cases) {
    const current = new Map(c.current.map((x) => [key(x), x]));
    const got = diffListeners(current, c.desired, key, same);
    assert.deepEqual(
      got.open.map((x) => x.port),
      c.open,
      c.name,
    );
    assert.deepEqual(
      got.retarget.map((x) => x.port),
      c.retarget,
      c.name,
    );
    assert.deepEqual(got.close, c.close, c.name);
  }
});
