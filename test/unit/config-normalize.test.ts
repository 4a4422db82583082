// Table-driven: each case is a config text and what must come out of it. Cases without
// `errors` must load; cases with `errors` must report exactly those error paths (and lines).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import type { AppConfig, Diagnostic } from '../../src/core/config/types.js';

interface Expected {
  path: string;
  line?: number;
  message?: RegExp;
  /** The catalog code the diagnostic carries. */
  code?: string;
}

interface Case {
  name: string;
  toml: string;
  /** What to look at in the loaded config, and what it must equal. */
  get?: (c: AppConfig) => unknown;
  want?: unknown;
  /** Exactly these errors, in any order. */
  errors?: Expected[];
  /** At least these warnings. */
  warnings?: Expected[];
  /** No warnings at all. */
  quiet?: boolean;
}

const lines = (...l: string[]) => l.join('\n');

const defaults: AppConfig = {
  killSignal: 'SIGINT',
  killTimeoutMs: 5_000,
  build: { args: {} },
  deploy: {
    strategy: 'rolling',
    releaseCommandTimeoutMs: 300_000,
    maxUnavailable: 0.33,
    waitTimeoutMs: 300_000,
    maxUnhealthyChecks: 10,
  },
  env: {},
  processes: {},
  services: [],
  checks: [],
  mounts: [],
  schedules: [],
  vm: [],
};

const shapes: Case[] = [
  { name: 'an empty file loads with every default', toml: '', get: (c) => c, want: defaults, quiet: true },
  {
    name: 'no app at all leaves it unset',
    toml: 'kill_signal = "SIGTERM"',
    get: (c) => c.app,
    want: undefined,
  },
  {
    name: 'app and primary_region',
    toml: 'app = "my-app"\nprimary_region = "ams"',
    get: (c) => [c.app, c.primaryRegion],
    want: ['my-app', 'ams'],
    quiet: true,
  },
  {
    name: '[http_service] defaults',
    toml: '[http_service]\ninternal_port = 3000',
    get: (c) => c.httpService,
    want: {
      internalPort: 3000,
      forceHttps: false,
      autoStopMachines: 'off',
      autoStartMachines: true,
      minMachinesRunning: 0,
      processes: [],
      idleTimeoutMs: 300_000,
      checks: [],
    },
    quiet: true,
  },
  {
    name: 'http_service.internal_port defaults to 8080',
    toml: '[http_service]\nforce_https = true',
    get: (c) => c.httpService?.internalPort,
    want: 8080,
  },
  {
    name: 'dotted keys at the top level',
    toml: 'http_service.internal_port = 8080\nhttp_service.force_https = true',
    get: (c) => [c.httpService?.internalPort, c.httpService?.forceHttps],
    want: [8080, true],
  },
  {
    name: 'berth idle_timeout',
    toml: '[http_service]\nidle_timeout = "90s"',
    get: (c) => c.httpService?.idleTimeoutMs,
    want: 90_000,
  },
  ...(
    [
      ['"2s"', 2_000],
      ['"1s"', 1_000],
      ['3', 3_000],
      ['"1m"', 60_000],
    ] as const
  ).map(([value, want]) => ({
    name: `idle_timeout = ${value} (bare numbers are seconds)`,
    toml: `[http_service]\nidle_timeout = ${value}`,
    get: (c: AppConfig) => c.httpService?.idleTimeoutMs,
    want,
    quiet: true,
  })),
  {
    name: 'idle_timeout that is not a duration',
    toml: '[http_service]\nidle_timeout = "soon"',
    errors: [{ path: 'http_service.idle_timeout', message: /must be a duration/ }],
  },
  {
    name: 'auto_stop_machines = "suspend" warns that it is treated as stop',
    toml: '[http_service]\nauto_stop_machines = "suspend"',
    get: (c) => c.httpService?.autoStopMachines,
    want: 'suspend',
    warnings: [{ path: 'http_service.auto_stop_machines', message: /treated as "stop"/ }],
  },
  {
    name: 'concurrency',
    toml: '[http_service.concurrency]\ntype = "requests"\nsoft_limit = 20\nhard_limit = 25',
    get: (c) => c.httpService?.concurrency,
    want: { type: 'requests', softLimit: 20, hardLimit: 25 },
  },
  ...(
    [
      [true, 'stop'],
      [false, 'off'],
      ['"stop"', 'stop'],
      ['"suspend"', 'suspend'],
      ['"off"', 'off'],
      ['"Stop"', 'stop'],
    ] as const
  ).map(([value, want]) => ({
    name: `auto_stop_machines = ${String(value)}`,
    toml: `[http_service]\nauto_stop_machines = ${String(value)}`,
    get: (c: AppConfig) => c.httpService?.autoStopMachines,
    want,
  })),
  {
    name: 'auto_stop_machines on [[services]]',
    toml: '[[services]]\ninternal_port = 7777\nauto_stop_machines = "stop"\nmin_machines_running = 1',
    get: (c) => [c.services[0]?.autoStopMachines, c.services[0]?.minMachinesRunning],
    want: ['stop', 1],
  },
  ...(
    [
      ['5', 5_000],
      ['300', 300_000],
      ['"5s"', 5_000],
      ['"1m30s"', 90_000],
      ['"300s"', 300_000],
    ] as const
  ).map(([value, want]) => ({
    name: `kill_timeout = ${value} (bare numbers are seconds)`,
    toml: `kill_timeout = ${value}`,
    get: (c: AppConfig) => c.killTimeoutMs,
    want,
  })),
  ...(
    [
      ['"INT"', 'SIGINT'],
      ['"SIGTERM"', 'SIGTERM'],
      ['"sigquit"', 'SIGQUIT'],
      ['"USR1"', 'SIGUSR1'],
    ] as const
  ).map(([value, want]) => ({
    name: `kill_signal = ${value}`,
    toml: `kill_signal = ${value}`,
    get: (c: AppConfig) => c.killSignal,
    want,
  })),
  ...(
    [
      ['"rolling"', 'rolling'],
      ['"IMMEDIATE"', 'immediate'],
      ['"Canary"', 'canary'],
      ['"bluegreen"', 'bluegreen'],
      ['"blue-green"', 'bluegreen'],
      ['"BlueGreen"', 'bluegreen'],
    ] as const
  ).map(([value, want]) => ({
    name: `strategy = ${value}`,
    toml: `[deploy]\nstrategy = ${value}`,
    get: (c: AppConfig) => c.deploy.strategy,
    want,
  })),
  {
    name: '[deploy] keys',
    toml: '[deploy]\nrelease_command = "bin/migrate"\nrelease_command_timeout = "10m"\nmax_unavailable = 2\nwait_timeout = 120\nmax_unhealthy_checks = "3"',
    get: (c) => c.deploy,
    want: {
      strategy: 'rolling',
      releaseCommand: 'bin/migrate',
      releaseCommandTimeoutMs: 600_000,
      maxUnavailable: 2,
      waitTimeoutMs: 120_000,
      maxUnhealthyChecks: 3,
    },
    quiet: true,
  },
  {
    name: '[build] with berth command and args stringified',
    toml: '[build]\ncommand = "npm ci && npm run build"\ndockerfile = "Dockerfile"\n[build.args]\nNODE_VERSION = 18\nDEBUG = false',
    get: (c) => c.build,
    want: {
      command: 'npm ci && npm run build',
      dockerfile: 'Dockerfile',
      args: { NODE_VERSION: '18', DEBUG: 'false' },
    },
  },
  { name: 'an empty [build] section', toml: '[build]', get: (c) => c.build, want: { args: {} }, quiet: true },
  {
    name: "[build] image, fly's build-target and [build.args]",
    toml: lines(
      '[build]',
      'image = "nginx:1.27"',
      'build-target = "runtime"',
      '[build.args]',
      'NODE_ENV = "production"',
    ),
    get: (c) => c.build,
    want: { image: 'nginx:1.27', target: 'runtime', args: { NODE_ENV: 'production' } },
    quiet: true,
  },
  {
    name: '[build] target is the same as build-target',
    toml: lines('[build]', 'dockerfile = "Dockerfile.prod"', 'target = "web"'),
    get: (c) => c.build,
    want: { dockerfile: 'Dockerfile.prod', target: 'web', args: {} },
    quiet: true,
  },
  {
    name: '[build] build-target and a different target: the first wins, with a warning',
    toml: lines('[build]', 'build-target = "a"', 'target = "b"'),
    get: (c) => c.build.target,
    want: 'a',
    warnings: [{ path: 'build.target', line: 3, message: /differs from build-target = "a"/ }],
  },
  {
    name: '[build] builder beside a dockerfile: the Dockerfile is built, with a warning',
    toml: lines('[build]', 'builder = "heroku/buildpacks:20"', 'dockerfile = "Dockerfile"'),
    get: (c) => c.build.dockerfile,
    want: 'Dockerfile',
    warnings: [{ path: 'build.builder', line: 2, message: /uses \[build\] dockerfile instead/ }],
  },
  {
    name: '[build] image beside a dockerfile: the image wins, with a warning',
    toml: lines('[build]', 'image = "nginx"', 'dockerfile = "Dockerfile"'),
    get: (c) => c.build.image,
    want: 'nginx',
    warnings: [{ path: 'build.dockerfile', line: 3, message: /runs "nginx" and does not build/ }],
  },
  {
    name: 'an empty [processes] command is the image\'s CMD: kept as ""',
    toml: lines('[processes]', 'app = ""', 'worker = []', 'web = "  "'),
    get: (c) => c.processes,
    want: { app: '', worker: '', web: '' },
    quiet: true,
  },
  {
    name: 'a service without internal_port uses 8080, and so do its checks',
    toml: lines(
      '[[services]]',
      'protocol = "tcp"',
      '[[services.ports]]',
      'port = 80',
      'handlers = ["http"]',
      '[[services.tcp_checks]]',
      'interval = "15s"',
      '[[services.http_checks]]',
      'path = "/up"',
    ),
    get: (c) => [c.services[0]!.internalPort, ...c.services[0]!.checks.map((k) => [k.type, k.port])],
    want: [8080, ['tcp', 8080], ['http', 8080]],
    quiet: true,
  },
  {
    name: "a check in a service without a port uses that service's internal_port",
    toml: lines('[[services]]', 'internal_port = 3000', '[[services.tcp_checks]]', 'grace_period = "1s"'),
    get: (c) => c.services[0]!.checks.map((k) => k.port),
    want: [3000],
    quiet: true,
  },
  {
    name: '[env] numbers and booleans become strings',
    toml: '[env]\nPORT = 8080\nDEBUG = true\nRATIO = 0.5\nNAME = "x"\nEMPTY = ""',
    get: (c) => c.env,
    want: { PORT: '8080', DEBUG: 'true', RATIO: '0.5', NAME: 'x', EMPTY: '' },
  },
  {
    name: '[processes] strings and argv arrays (shell-quoted)',
    toml: lines(
      '[processes]',
      'web = "bin/web --port 8080"',
      `worker = ["python", "-m", "worker", "it's here", "a b", "$HOME"]`,
    ),
    get: (c) => c.processes,
    want: { web: 'bin/web --port 8080', worker: `python -m worker 'it'\\''s here' 'a b' '$HOME'` },
  },
  {
    name: 'legacy top-level processes = [] means none',
    toml: 'processes = []',
    get: (c) => c.processes,
    want: {},
    quiet: true,
  },
  {
    name: '[mounts] as a table',
    toml: '[mounts]\nsource = "data"\ndestination = "/data"\ninitial_size = "1GB"',
    get: (c) => c.mounts,
    want: [{ source: 'data', destination: '/data', initialSize: '1GB', processes: [] }],
  },
  {
    name: '[[mounts]] as an array of tables',
    toml: lines(
      '[processes]',
      'app = "a"',
      'head = "h"',
      '[[mounts]]',
      'source = "models"',
      'destination = "/data"',
      'processes = ["app"]',
      '[[mounts]]',
      'source = "ray"',
      'destination = "/ray"',
      'processes = ["head"]',
    ),
    get: (c) => c.mounts.map((m) => [m.source, m.destination, m.processes]),
    want: [
      ['models', '/data', ['app']],
      ['ray', '/ray', ['head']],
    ],
  },
  {
    name: '[mount] singular',
    toml: '[mount]\nsource = "nginx_data"\ndestination = "/data"',
    get: (c) => c.mounts.map((m) => m.source),
    want: ['nginx_data'],
  },
  {
    name: 'fly-only mount keys are accepted',
    toml: '[[mounts]]\nsource = "d"\ndestination = "/d"\nauto_extend_size_threshold = 80',
    get: (c) => c.mounts.length,
    want: 1,
    quiet: true,
  },
  {
    name: '[metrics] as a table warns only',
    toml: '[metrics]\nport = 9091\npath = "/metrics"',
    get: (c) => c.app,
    want: undefined,
    warnings: [{ path: 'metrics', line: 1, message: /berth ignores it/ }],
  },
  {
    name: '[[metrics]] as an array warns only',
    toml: '[[metrics]]\nport = 9091\npath = "/metrics"',
    get: (c) => c.app,
    want: undefined,
    warnings: [{ path: 'metrics', line: 1 }],
  },
  {
    name: 'fly-only sections each warn once',
    toml: lines(
      'swap_size_mb = 512',
      'console_command = "bin/rails c"',
      '[[vm]]',
      'size = "shared-cpu-1x"',
      '[[statics]]',
      'guest_path = "/p"',
      '[experimental]',
      'auto_rollback = true',
      'cmd = ["./start.sh"]',
    ),
    warnings: [
      { path: 'swap_size_mb', line: 1 },
      { path: 'console_command', line: 2 },
      { path: 'vm', line: 3 },
      { path: 'statics', line: 5 },
      { path: 'experimental', line: 7 },
      { path: 'experimental.cmd', line: 9, message: /experimental\.cmd/ },
    ],
  },
  {
    name: 'unknown keys and sections warn with their line',
    toml: lines(
      'app = "x"',
      'colour = "blue"',
      '[http_service]',
      'internal_port = 80',
      'internal_prot = 81',
      '[wat]',
      'a = 1',
    ),
    warnings: [
      { path: 'colour', line: 2, message: /berth ignores it/ },
      { path: 'http_service.internal_prot', line: 5, message: /unknown key/ },
      { path: 'wat', line: 6 },
    ],
  },
  ...['{{APP_NAME}}', '{APP_NAME}', '<NAME>', '%fly_app_name%-redis', '${APP}', ''].map((app) => ({
    name: `placeholder app = "${app}" warns and leaves app unset`,
    toml: `app = "${app}"\n[http_service]\ninternal_port = 8080`,
    get: (c: AppConfig) => [c.app, c.httpService?.internalPort],
    want: [undefined, 8080],
    warnings: [{ path: 'app', line: 1 }],
  })),
  {
    name: '[[services]] with quoted ports, handlers and a tcp check in milliseconds',
    toml: lines(
      '[[services]]',
      'internal_port = 4000',
      'protocol = "tcp"',
      '[[services.ports]]',
      'handlers = ["http"]',
      'port = "80"',
      'force_https = true',
      '[[services.ports]]',
      'handlers = ["tls", "http"]',
      'port = 443',
      '[[services.tcp_checks]]',
      'interval = 10000',
      'timeout = 2000',
      'grace_period = "30s"',
      'restart_limit = 6',
      'port = "8080"',
    ),
    get: (c) => c.services,
    want: [
      {
        protocol: 'tcp',
        internalPort: 4000,
        ports: [
          { port: 80, handlers: ['http'], forceHttps: true },
          { port: 443, handlers: ['tls', 'http'], forceHttps: false },
        ],
        autoStopMachines: 'off',
        autoStartMachines: true,
        minMachinesRunning: 0,
        processes: [],
        checks: [
          {
            name: 'services[0].tcp_checks[0]',
            type: 'tcp',
            port: 8080,
            intervalMs: 10_000,
            timeoutMs: 2_000,
            gracePeriodMs: 30_000,
            method: 'GET',
            path: '/',
            protocol: 'http',
            headers: {},
          },
        ],
      },
    ],
    quiet: true,
  },
  {
    name: 'http_checks with string durations, headers, and empty check lists',
    toml: lines(
      '[[services]]',
      'internal_port = 8080',
      'tcp_checks = []',
      'script_checks = []',
      '[[services.http_checks]]',
      'interval = "10s"',
      'method = "get"',
      'path = "/healthz"',
      'headers = { Host = "health.check" }',
    ),
    get: (c) =>
      c.services[0]?.checks.map((k) => [
        k.type,
        k.port,
        k.intervalMs,
        k.timeoutMs,
        k.method,
        k.path,
        k.headers,
      ]),
    want: [['http', 8080, 10_000, 2_000, 'GET', '/healthz', { Host: 'health.check' }]],
  },
  {
    name: '[[http_service.checks]] defaults',
    toml: lines('[http_service]', 'internal_port = 3000', '[[http_service.checks]]', 'path = "/up"'),
    get: (c) => c.httpService?.checks,
    want: [
      {
        name: 'http_service.checks[0]',
        type: 'http',
        port: 3000,
        intervalMs: 15_000,
        timeoutMs: 2_000,
        gracePeriodMs: 0,
        method: 'GET',
        path: '/up',
        protocol: 'http',
        headers: {},
      },
    ],
  },
  {
    name: '[checks.NAME] with strings and with fly-style millisecond numbers',
    toml: lines(
      '[checks.pg]',
      'type = "http"',
      'port = 5500',
      'path = "/flycheck/pg"',
      'interval = "15s"',
      'timeout = "1m0s"',
      '[checks.tcp]',
      'port = 5432',
      'interval = 60000',
      'timeout = 10000',
    ),
    get: (c) => c.checks.map((k) => [k.name, k.type, k.port, k.intervalMs, k.timeoutMs]),
    want: [
      ['pg', 'http', 5500, 15_000, 60_000],
      ['tcp', 'tcp', 5432, 60_000, 10_000],
    ],
  },
  {
    name: '[checks.NAME] without port uses the http_service port, with a warning',
    toml: '[http_service]\ninternal_port = 3000\n[checks.health]\npath = "/h"',
    get: (c) => c.checks.map((k) => [k.type, k.port]),
    want: [['http', 3000]],
    warnings: [
      {
        path: 'checks.health',
        line: 3,
        message: /no port; berth checks port 3000, the internal_port of \[http_service\]/,
      },
    ],
  },
  {
    name: '[checks.NAME] without port uses the port of the [[services]] entry with an http handler',
    toml: lines(
      '[[services]]',
      'internal_port = 9000',
      '[[services]]',
      'internal_port = 4000',
      '[[services.ports]]',
      'port = 80',
      'handlers = ["http"]',
      '[checks.up]',
      'type = "tcp"',
    ),
    get: (c) => c.checks.map((k) => k.port),
    want: [4000],
    warnings: [{ path: 'checks.up', line: 8, message: /port 4000, the internal_port of services\[1\]/ }],
  },
  {
    name: '[checks.NAME] with its own port says nothing of ports',
    toml: '[http_service]\ninternal_port = 3000\n[checks.health]\nport = 3000\npath = "/h"',
    get: (c) => c.checks.map((k) => k.port),
    want: [3000],
    quiet: true,
  },
  {
    name: 'script checks are skipped with a warning',
    toml: lines(
      '[checks.role]',
      'type = "script"',
      'command = "flycheck"',
      'interval = 60000',
      '[[services]]',
      'internal_port = 1',
      'script_checks = [{ command = "x" }]',
    ),
    get: (c) => [c.checks.length, c.services[0]?.checks.length],
    want: [0, 0],
    warnings: [
      { path: 'checks.role.type', line: 2 },
      { path: 'services[0].script_checks', line: 7 },
    ],
  },
  {
    name: 'dozens of [[services]]',
    toml: Array.from(
      { length: 60 },
      (_, i) => `[[services]]\ninternal_port = ${10000 + i}\n[[services.ports]]\nport = ${10000 + i}`,
    ).join('\n'),
    get: (c) => [c.services.length, c.services[59]?.ports[0]?.port],
    want: [60, 10059],
    quiet: true,
  },
  {
    name: 'process groups that exist',
    toml: lines(
      '[processes]',
      'web = "w"',
      'worker = "k"',
      '[http_service]',
      'processes = ["web"]',
      '[[services]]',
      'internal_port = 1',
      'processes = ["worker"]',
    ),
    get: (c) => [c.httpService?.processes, c.services[0]?.processes],
    want: [['web'], ['worker']],
    quiet: true,
  },
  {
    name: 'processes = ["app"] with no [processes] is the default group',
    toml: '[http_service]\nprocesses = ["app"]',
    get: (c) => c.httpService?.processes,
    want: ['app'],
    quiet: true,
  },
  {
    name: 'processes naming a group with no [processes] warns (a Procfile may define it)',
    toml: '[http_service]\nprocesses = ["web"]',
    get: (c) => c.httpService?.processes,
    want: ['web'],
    warnings: [{ path: 'http_service.processes', line: 2 }],
  },
  {
    name: 'http_service without processes when there are several groups warns',
    toml: '[processes]\napp = "a"\nworker = "w"\n[http_service]\ninternal_port = 1',
    get: (c) => c.httpService?.processes,
    want: [],
    warnings: [{ path: 'http_service', line: 4, message: /every group/ }],
  },
  {
    name: '[schedules.NAME] with cron and with every',
    toml: lines(
      '[schedules.cleanup]',
      'cron = "0 3 * * *"',
      'command = "bin/cleanup"',
      '[schedules.ping]',
      'every = "10m"',
      'command = ["curl", "-s", "http://x"]',
      '[schedules.weekly]',
      'cron = "@weekly"',
      'command = "x"',
    ),
    get: (c) => c.schedules,
    want: [
      {
        name: 'cleanup',
        cron: '0 3 * * *',
        command: 'bin/cleanup',
        timeoutMs: 3_600_000,
        overlap: 'skip',
        retries: 0,
      },
      {
        name: 'ping',
        everyMs: 600_000,
        command: 'curl -s http://x',
        timeoutMs: 3_600_000,
        overlap: 'skip',
        retries: 0,
      },
      { name: 'weekly', cron: '@weekly', command: 'x', timeoutMs: 3_600_000, overlap: 'skip', retries: 0 },
    ],
    quiet: true,
  },
];

const errors: Case[] = [
  {
    name: 'max_unhealthy_checks of zero',
    toml: '[deploy]\nmax_unhealthy_checks = 0',
    errors: [
      { path: 'deploy.max_unhealthy_checks', line: 2, message: /whole number between 1 and 10000 \(got 0\)/ },
    ],
  },
  {
    name: 'max_unhealthy_checks that is not a number',
    toml: '[deploy]\nmax_unhealthy_checks = "many"',
    errors: [{ path: 'deploy.max_unhealthy_checks', line: 2, message: /got "many"/ }],
  },
  {
    name: 'an app name that is not a DNS label',
    toml: 'app = "My_App"',
    errors: [{ path: 'app', line: 1, message: /not a valid app name \(got "My_App"\)/ }],
  },
  {
    name: 'an app name that starts with a digit',
    toml: '\napp = "1app"',
    errors: [{ path: 'app', line: 2 }],
  },
  { name: 'an app name too long', toml: `app = "${'a'.repeat(64)}"`, errors: [{ path: 'app', line: 1 }] },
  {
    name: 'an app name that is not a string',
    toml: 'app = 5',
    errors: [{ path: 'app', line: 1, message: /must be a string/ }],
  },
  {
    name: 'a port that is not a number',
    toml: '[http_service]\n  internal_port = "abc"',
    errors: [
      {
        path: 'http_service.internal_port',
        line: 2,
        message: /^must be a port number between 1 and 65535 \(got "abc"\)$/,
      },
    ],
  },
  {
    name: 'a port out of range',
    toml: '[http_service]\ninternal_port = 0',
    errors: [{ path: 'http_service.internal_port', line: 2 }],
  },
  {
    name: 'a bad port deep in the third [[services]]',
    toml: lines(
      '[[services]]',
      'internal_port = 1',
      '[[services]]',
      'internal_port = 2',
      '[[services.ports]]',
      'port = 80',
      '[[services]]',
      'internal_port = 3',
      '[[services.ports]]',
      'port = 443',
      '[[services.ports]]',
      'port = 70000',
    ),
    errors: [{ path: 'services[2].ports[1].port', line: 12, message: /got 70000/ }],
  },
  {
    name: 'a top-level check without a port, in a file with no HTTP service',
    toml: lines('[[services]]', 'internal_port = 5432', '[checks.alive]', 'type = "tcp"'),
    errors: [{ path: 'checks.alive', line: 3, message: /no port/ }],
  },
  {
    name: '[build] builder with nothing else to build',
    toml: lines('[build]', '  builder = "heroku/buildpacks:20"'),
    errors: [
      {
        path: 'build.builder',
        line: 2,
        message: /buildpacks are not supported/,
        code: 'unsupported_builder',
      },
    ],
  },
  {
    name: '[build] buildpacks with nothing else to build',
    toml: lines('[build]', 'buildpacks = ["gcr.io/paketo-buildpacks/nodejs"]'),
    errors: [
      {
        path: 'build.buildpacks',
        line: 2,
        message: /buildpacks are not supported/,
        code: 'unsupported_builder',
      },
    ],
  },
  {
    name: 'a service port entry without port',
    toml: '[[services]]\ninternal_port = 1\n[[services.ports]]\nhandlers = ["http"]',
    errors: [{ path: 'services[0].ports[0]', line: 3 }],
  },
  {
    name: 'a service protocol that is neither tcp nor udp',
    toml: '[[services]]\ninternal_port = 1\nprotocol = "sctp"',
    errors: [{ path: 'services[0].protocol', line: 3 }],
  },
  {
    name: 'an unknown strategy',
    toml: '[deploy]\nstrategy = "yolo"',
    errors: [{ path: 'deploy.strategy', line: 2, message: /got "yolo"/ }],
  },
  {
    name: 'an unknown kill_signal',
    toml: 'kill_signal = "SIGFOO"',
    errors: [{ path: 'kill_signal', line: 1 }],
  },
  {
    name: 'max_unavailable = 0',
    toml: '[deploy]\nmax_unavailable = 0',
    errors: [{ path: 'deploy.max_unavailable', line: 2 }],
  },
  {
    name: 'max_unavailable = 1.5',
    toml: '[deploy]\nmax_unavailable = 1.5',
    errors: [{ path: 'deploy.max_unavailable', line: 2 }],
  },
  {
    name: 'a kill_timeout that is not a duration',
    toml: 'kill_timeout = "5 seconds"',
    errors: [{ path: 'kill_timeout', line: 1, message: /duration/ }],
  },
  {
    name: 'a check interval that is not a duration',
    toml: '[http_service]\n[[http_service.checks]]\ninterval = "soon"',
    errors: [{ path: 'http_service.checks[0].interval', line: 3 }],
  },
  {
    name: 'a check interval of 0',
    toml: '[checks.a]\nport = 1\ninterval = 0',
    errors: [{ path: 'checks.a.interval', line: 3 }],
  },
  // Durations outside what the daemon can wait: each names its key, line and range.
  ...(
    [
      ['[checks.a]\nport = 1\ninterval = "25h"', 'checks.a.interval', 3, /between 1ms and 24h/],
      ['[checks.a]\nport = 1\ntimeout = 2147483648', 'checks.a.timeout', 3, /between 1ms and 24h/],
      ['[checks.a]\nport = 1\ntimeout = "0.1ms"', 'checks.a.timeout', 3, /between 1ms and 24h/],
      ['[checks.a]\nport = 1\ngrace_period = "2d"', 'checks.a.grace_period', 3, /0 or between 1ms and 24h/],
      ['[deploy]\nwait_timeout = "0.0001s"', 'deploy.wait_timeout', 2, /between 1s and 24h/],
      ['[deploy]\nwait_timeout = 0', 'deploy.wait_timeout', 2, /between 1s and 24h/],
      [
        '[deploy]\nrelease_command_timeout = "48h"',
        'deploy.release_command_timeout',
        2,
        /between 1s and 24h/,
      ],
      ['\nkill_timeout = 86401', 'kill_timeout', 2, /between 1s and 24h/],
      ['[http_service]\nidle_timeout = "500ms"', 'http_service.idle_timeout', 2, /between 1s and 24h/],
      ['[schedules.a]\nevery = "30d"\ncommand = "x"', 'schedules.a.every', 2, /between 1s and 24h/],
      ['[schedules.a]\nevery = 0\ncommand = "x"', 'schedules.a.every', 2, /between 1s and 24h/],
    ] as [string, string, number, RegExp][]
  ).map(([toml, path, line, message]) => ({
    name: `${path} out of range: ${toml.split('\n')[line - 1] ?? ''}`,
    toml,
    errors: [{ path, line, message }],
  })),
  {
    name: 'a grace period of 0 means none',
    toml: '[checks.a]\nport = 1\ngrace_period = "0s"',
    get: (c) => c.checks[0]?.gracePeriodMs,
    want: 0,
    quiet: true,
  },
  {
    name: 'durations at the edges of their ranges',
    toml: '[deploy]\nwait_timeout = "24h"\n[checks.a]\nport = 1\ninterval = "1ms"\ntimeout = "24h"',
    get: (c) => [c.deploy.waitTimeoutMs, c.checks[0]?.intervalMs, c.checks[0]?.timeoutMs],
    want: [86_400_000, 1, 86_400_000],
    quiet: true,
  },
  {
    name: 'a check with no port anywhere',
    toml: '\n[checks.a]\ntype = "tcp"',
    errors: [{ path: 'checks.a', line: 2, message: /no port/ }],
  },
  {
    name: 'a check path without a slash',
    toml: '[checks.a]\nport = 1\npath = "health"',
    errors: [{ path: 'checks.a.path', line: 3 }],
  },
  {
    name: 'a check type berth does not know',
    toml: '[checks.a]\nport = 1\ntype = "grpc"',
    errors: [{ path: 'checks.a.type', line: 3 }],
  },
  {
    name: 'auto_stop_machines with a strange value',
    toml: '[http_service]\nauto_stop_machines = "sometimes"',
    errors: [{ path: 'http_service.auto_stop_machines', line: 2 }],
  },
  {
    name: 'min_machines_running below 0',
    toml: '[http_service]\nmin_machines_running = -1',
    errors: [{ path: 'http_service.min_machines_running', line: 2 }],
  },
  {
    name: 'force_https that is not a boolean',
    toml: '[http_service]\nforce_https = "yes"',
    errors: [{ path: 'http_service.force_https', line: 2 }],
  },
  {
    name: 'an env value that is an array',
    toml: '[env]\nA = "ok"\nB = [1, 2]',
    errors: [{ path: 'env.B', line: 3 }],
  },
  {
    name: 'http_service naming a group [processes] does not define',
    toml: lines('[processes]', 'app = "a"', 'worker = "w"', '[http_service]', 'processes = ["web"]'),
    errors: [{ path: 'http_service.processes', line: 5, message: /"web".*"app", "worker"/ }],
  },
  {
    name: 'services and mounts naming missing groups',
    toml: lines(
      '[processes]',
      'app = "a"',
      '[[services]]',
      'internal_port = 1',
      'processes = ["app", "api"]',
      '[mounts]',
      'source = "d"',
      'destination = "/d"',
      'processes = ["db"]',
    ),
    errors: [
      { path: 'services[0].processes', line: 5, message: /"api"/ },
      { path: 'mounts.processes', line: 9, message: /"db"/ },
    ],
  },
  {
    name: 'a mount without a destination',
    toml: '[[mounts]]\nsource = "d"',
    errors: [{ path: 'mounts[0]', line: 1, message: /destination/ }],
  },
  {
    name: 'a mount with a relative destination',
    toml: '[mount]\nsource = "d"\ndestination = "data"',
    errors: [{ path: 'mount.destination', line: 3 }],
  },
  {
    name: 'a mount without a source',
    toml: '[mounts]\ndestination = "/d"',
    errors: [{ path: 'mounts', line: 1, message: /source/ }],
  },
  {
    name: 'a schedule with both cron and every',
    toml: '[schedules.a]\ncron = "* * * * *"\nevery = "1m"\ncommand = "x"',
    errors: [{ path: 'schedules.a', line: 1 }],
  },
  {
    name: 'a schedule with neither cron nor every',
    toml: '[schedules.a]\ncommand = "x"',
    errors: [{ path: 'schedules.a', line: 1 }],
  },
  {
    name: 'a schedule without a command',
    toml: '[schedules.a]\nevery = "1h"',
    errors: [{ path: 'schedules.a', line: 1, message: /no command/ }],
  },
  {
    name: 'a schedule with a bad cron',
    toml: '[schedules.a]\ncron = "every day"\ncommand = "x"',
    errors: [{ path: 'schedules.a.cron', line: 2 }],
  },
  {
    name: 'a schedule with a bad every',
    toml: '[schedules.a]\nevery = "often"\ncommand = "x"',
    errors: [{ path: 'schedules.a.every', line: 2 }],
  },
  {
    name: 'a section that should be a table',
    toml: 'http_service = 5',
    errors: [{ path: 'http_service', line: 1, message: /must be a table/ }],
  },
  {
    name: 'every problem is reported at once',
    toml: lines(
      'app = "Bad Name"',
      'kill_signal = "NOPE"',
      '[deploy]',
      'strategy = "yolo"',
      '[http_service]',
      'internal_port = 99999',
      '[[services]]',
      'protocol = "sctp"',
      '[[services.ports]]',
      'port = "x"',
    ),
    errors: [
      { path: 'app', line: 1 },
      { path: 'kill_signal', line: 2 },
      { path: 'deploy.strategy', line: 4 },
      { path: 'http_service.internal_port', line: 6 },
      { path: 'services[0].protocol', line: 8 },
      { path: 'services[0].ports[0].port', line: 10 },
    ],
  },
  {
    name: 'a duplicate key is one syntax error with line and column',
    toml: '[env]\nA = "1"\nB = "2"\n  A = "3"',
    errors: [{ path: '', line: 4, message: /A is defined twice.*column 3/ }],
  },
  {
    name: 'a syntax error never throws',
    toml: 'app = "unterminated\n',
    errors: [{ path: '', line: 1, message: /^invalid TOML: / }],
  },
];

function matches(d: Diagnostic, e: Expected): boolean {
  return (
    d.path === e.path &&
    (e.line === undefined || d.line === e.line) &&
    (!e.message || e.message.test(d.message)) &&
    (e.code === undefined || d.code === e.code)
  );
}

function show(ds: Diagnostic[]): string {
  return ds.map((d) => `${d.severity} ${d.line ?? '?'} ${d.path}: ${d.message}`).join('\n');
}

for (const c of [...shapes, ...errors]) {
  test(`config: ${c.name}`, () => {
    const loaded = loadConfigText(c.toml, 'berth.toml');
    const found = loaded.diagnostics.filter((d) => d.severity === 'error');
    const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning');
    for (const d of loaded.diagnostics) {
      assert.ok(d.message && d.hint, `every diagnostic has a message and a hint: ${show([d])}`);
    }
    if (c.errors) {
      assert.equal(loaded.config, undefined, 'no config when there are errors');
      assert.equal(found.length, c.errors.length, `errors:\n${show(found)}`);
      for (const e of c.errors)
        assert.ok(
          found.some((d) => matches(d, e)),
          `missing error ${JSON.stringify(e)}; got:\n${show(found)}`,
        );
    } else {
      assert.deepEqual(found, [], show(found));
      assert.ok(loaded.config);
      if (c.get) assert.deepEqual(c.get(loaded.config), c.want);
    }
    for (const w of c.warnings ?? []) {
      assert.ok(
        warnings.some((d) => matches(d, w)),
        `missing warning ${JSON.stringify(w)}; got:\n${show(warnings)}`,
      );
    }
    if (c.quiet) assert.deepEqual(warnings, [], show(warnings));
  });
}
