// Table-driven: [schedules.NAME] and [notify] as config text, and what loads or which key is
// refused with which fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';

const load = (toml: string) => loadConfigText(toml, 'berth.toml');

const good: { name: string; toml: string; want: unknown }[] = [
  {
    name: 'cron with six fields, a zone, every option',
    toml: '[schedules.a]\ncron = "*/10 * * * * *"\ntimezone = "Europe/Berlin"\ncommand = "x"\ntimeout = "5m"\noverlap = "allow"\nretries = 2\ncatch_up = "10m"',
    want: {
      name: 'a',
      cron: '*/10 * * * * *',
      timezone: 'Europe/Berlin',
      command: 'x',
      timeoutMs: 300_000,
      overlap: 'allow',
      retries: 2,
      catchUpMs: 600_000,
    },
  },
  {
    name: 'every with defaults',
    toml: '[schedules.b]\nevery = "30s"\ncommand = ["echo", "hi there"]',
    want: {
      name: 'b',
      everyMs: 30_000,
      command: "echo 'hi there'",
      timeoutMs: 3_600_000,
      overlap: 'skip',
      retries: 0,
    },
  },
  {
    name: 'catch_up = 0 means never',
    toml: '[schedules.c]\nevery = "1m"\ncommand = "x"\ncatch_up = "0s"',
    want: {
      name: 'c',
      everyMs: 60_000,
      command: 'x',
      timeoutMs: 3_600_000,
      overlap: 'skip',
      retries: 0,
      catchUpMs: 0,
    },
  },
  {
    name: 'names of months and days, and macros',
    toml: '[schedules.d]\ncron = "0 9 * JAN-MAR MON-FRI"\ncommand = "x"',
    want: {
      name: 'd',
      cron: '0 9 * JAN-MAR MON-FRI',
      command: 'x',
      timeoutMs: 3_600_000,
      overlap: 'skip',
      retries: 0,
    },
  },
];

for (const c of good) {
  test(`schedule loads: ${c.name}`, () => {
    const loaded = load(c.toml);
    assert.deepEqual(
      loaded.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.deepEqual(loaded.config?.schedules[0], c.want);
  });
}

const bad: { name: string; toml: string; path: string; message: RegExp; hint?: RegExp }[] = [
  {
    name: 'four fields',
    toml: '[schedules.a]\ncron = "* * * *"\ncommand = "x"',
    path: 'schedules.a.cron',
    message: /4 field\(s\)/,
    hint: /five fields/,
  },
  {
    name: 'seven fields',
    toml: '[schedules.a]\ncron = "0 0 0 * * * 2030"\ncommand = "x"',
    path: 'schedules.a.cron',
    message: /7 field/,
  },
  {
    name: 'minute out of range',
    toml: '[schedules.a]\ncron = "61 * * * *"\ncommand = "x"',
    path: 'schedules.a.cron',
    message: /minute: 61/,
  },
  {
    name: 'unknown macro',
    toml: '[schedules.a]\ncron = "@fortnightly"\ncommand = "x"',
    path: 'schedules.a.cron',
    message: /not a cron macro/,
  },
  {
    name: 'unknown zone',
    toml: '[schedules.a]\ncron = "0 3 * * *"\ntimezone = "Mars/Olympus"\ncommand = "x"',
    path: 'schedules.a.timezone',
    message: /not a time zone/,
    hint: /IANA/,
  },
  {
    name: 'both cron and every',
    toml: '[schedules.a]\ncron = "* * * * *"\nevery = "1m"\ncommand = "x"',
    path: 'schedules.a',
    message: /exactly one/,
  },
  { name: 'neither', toml: '[schedules.a]\ncommand = "x"', path: 'schedules.a', message: /exactly one/ },
  { name: 'no command', toml: '[schedules.a]\nevery = "1m"', path: 'schedules.a', message: /no command/ },
  {
    name: 'every too short',
    toml: '[schedules.a]\nevery = "500ms"\ncommand = "x"',
    path: 'schedules.a.every',
    message: /between 1s and 24h/,
  },
  {
    name: 'bad overlap',
    toml: '[schedules.a]\nevery = "1m"\ncommand = "x"\noverlap = "queue"',
    path: 'schedules.a.overlap',
    message: /"skip" or "allow"/,
  },
  {
    name: 'too many retries',
    toml: '[schedules.a]\nevery = "1m"\ncommand = "x"\nretries = 11',
    path: 'schedules.a.retries',
    message: /between 0 and 10/,
  },
  {
    name: 'bad timeout',
    toml: '[schedules.a]\nevery = "1m"\ncommand = "x"\ntimeout = "soon"',
    path: 'schedules.a.timeout',
    message: /duration/,
  },
  {
    name: 'bad name',
    toml: '[schedules."a b"]\nevery = "1m"\ncommand = "x"',
    path: 'schedules.a b',
    message: /schedule name/,
  },
  {
    name: 'notify without url',
    toml: '[notify]\nevents = ["deploy.failed"]',
    path: 'notify',
    message: /no url/,
  },
  { name: 'notify bad url', toml: '[notify]\nurl = "ftp://x"', path: 'notify.url', message: /not an http/ },
  {
    name: 'notify unknown event',
    toml: '[notify]\nurl = "https://x.test/h"\nevents = ["deploy.done"]',
    path: 'notify.events',
    message: /not an event/,
  },
  {
    name: 'notify secret is a value',
    toml: '[notify]\nurl = "https://x.test/h"\nsecret = "s3cr3t value!"',
    path: 'notify.secret',
    message: /must name an app secret/,
    hint: /secrets set/,
  },
];

for (const c of bad) {
  test(`refused: ${c.name}`, () => {
    const loaded = load(c.toml);
    assert.equal(loaded.config, undefined);
    const error = loaded.diagnostics.find((d) => d.severity === 'error' && d.path === c.path);
    assert.ok(error, `no error at ${c.path}: ${JSON.stringify(loaded.diagnostics)}`);
    assert.match(error.message, c.message);
    if (c.hint) assert.match(error.hint, c.hint);
  });
}

test('[notify] loads with all kinds by default', () => {
  const loaded = load('[notify]\nurls = ["https://a.test/x", "http://b.test/y"]\nsecret = "HOOK_KEY"');
  assert.deepEqual(loaded.config?.notify, {
    urls: ['https://a.test/x', 'http://b.test/y'],
    secret: 'HOOK_KEY',
    events: [
      'schedule.failed',
      'deploy.failed',
      'deploy.reverted',
      'machine.crash_loop',
      'machine.wake_failed',
    ],
  });
});
