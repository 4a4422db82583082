// Config-load benchmark: the worst config texts we know how to build, each just under the size
// the daemon accepts, through the same loadConfigText a deploy request runs on the event loop.
//
//   npm run bench:config-load -- [--rounds 20]
//
// For each shape prints the first (cold) load, the median and the maximum of the rounds (wall
// time), the median CPU time of the process (less disturbed by other work on a shared machine),
// and how much the heap grew while loading it. Target: every load under 50 ms (the longest the daemon's
// event loop may be blocked by one request), heap growth a small multiple of the text.
import { validateBody } from '../../src/api/router.js';
import type { TSchema } from '@sinclair/typebox';
import { AddCertificateBody } from '../../src/api/net-schemas.js';
import { SecretsChangeBody } from '../../src/api/secret-schemas.js';
import { CreateAppBody, DeployBody } from '../../src/api/schemas.js';
import { loadConfigText, MAX_CONFIG_BYTES } from '../../src/config/load.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 20;
const budget = MAX_CONFIG_BYTES - 64;

/** `unit` repeated to fill the budget after `head` and before `tail`. */
function fill(head: string, unit: string, tail = ''): string {
  return head + unit.repeat(Math.floor((budget - head.length - tail.length) / unit.length)) + tail;
}

function numbered(head: string, line: (i: number) => string): string {
  const lines: string[] = [];
  let size = head.length;
  for (let i = 0; size + line(i).length + 1 < budget; i++) {
    lines.push(line(i));
    size += line(i).length + 1;
  }
  return head + lines.join('\n');
}

const half = (unit: string) => unit.repeat(Math.floor(budget / 2 / unit.length));

const shapes: Record<string, string> = {
  'dotted key (a.a.a... = 1)': fill('a', '.a', ' = 1\n'),
  'dotted header ([a.a.a...])': fill('[a', '.a', ']\n'),
  'header of 32 parts, then keys': `[${'a.'.repeat(31)}a]\n` + numbered('', (i) => `k${i} = 1`),
  'quoted dotted key': fill('', '"a".', 'a = 1\n'),
  'dotted key in an inline table': fill('x = {a', '.a', ' = 1}\n'),
  'dotted keys of 32 parts': fill('', `${'a.'.repeat(31)}a = 1\n[t]\n`),
  'nested arrays': `x = ${half('[')}${half(']')}\n`,
  'nested arrays, one per line': `x = ${half('[\n')}${half(']\n')}`,
  'nested inline tables': `x = ${half('{a=')}1${half('}')}\n`,
  'unknown keys (10k+)': numbered('', (i) => `k${i}=1`),
  'env keys (10k+)': numbered('[env]\n', (i) => `K${i}="${i}"`),
  'one long string': fill('app = "', 'x', '"\n'),
  'long multi-line string': fill(
    '[env]\nA = """\n',
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n',
    '"""\n',
  ),
  '[[services]] with ports': fill('', '[[services]]\ninternal_port = 1\n[[services.ports]]\nport = 80\n'),
  'checks out of range': numbered('', (i) => `[checks.c${i}]\nport = 80\ninterval = "9999h"`),
  'unclosed brackets on every line': numbered('', (i) => `k${i} = [[[[[[[[[[`),
  'duplicate keys far apart': fill('a = 1\n', '# padding line\n', 'a = 2\n'),
};

console.log(
  `config-load: ${Object.keys(shapes).length} shapes of up to ${MAX_CONFIG_BYTES} bytes, ${rounds} rounds each`,
);
console.log(
  'shape'.padEnd(34),
  'bytes'.padStart(7),
  'cold ms',
  'median',
  '   max',
  'cpu med',
  'heap MB',
  ' problems',
);
let worst = 0;
for (const [name, text] of Object.entries(shapes)) {
  const times: number[] = [];
  const cpu: number[] = [];
  let heap = 0;
  let problems = 0;
  for (let i = 0; i <= rounds; i++) {
    const before = process.memoryUsage().heapUsed;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const loaded = loadConfigText(text, 'berth.toml');
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    heap = Math.max(heap, process.memoryUsage().heapUsed - before);
    problems = loaded.diagnostics.length;
  }
  const cold = times[0] ?? 0;
  const warm = times.slice(1).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)] ?? 0;
  const max = warm[warm.length - 1] ?? 0;
  const cpuMedian = cpu.slice(1).sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? 0;
  worst = Math.max(worst, cold, max);
  console.log(
    name.padEnd(34),
    String(Buffer.byteLength(text)).padStart(7),
    cold.toFixed(1).padStart(7),
    median.toFixed(1).padStart(6),
    max.toFixed(1).padStart(6),
    cpuMedian.toFixed(1).padStart(7),
    (heap / 1e6).toFixed(1).padStart(7),
    String(problems).padStart(9),
  );
}
console.log(`worst single load: ${worst.toFixed(1)} ms`);

// What a request with a JSON body costs on the event loop before its handler acts: parse the
// body at the route's size limit, check it against the schema, and for a deploy load the config.
// The hostile bodies are many small fields, the most expensive JSON to parse.
const artifact = `sha256:${'0'.repeat(64)}`;
const manyFields = (limit: number, wrap: (fields: Record<string, string>) => unknown) => {
  const fields: Record<string, string> = {};
  let size = 100;
  for (let i = 0; size < limit - 20; i++) {
    fields[`K${i.toString(36)}`] = 'v';
    size += `"K${i.toString(36)}":"v",`.length;
  }
  return JSON.stringify(wrap(fields));
};
const bodies: Array<[string, TSchema, string, boolean]> = [
  [
    'deploy, worst 64 KB config',
    DeployBody,
    JSON.stringify({ artifact, config: { file: 'berth.toml', text: shapes['[[services]] with ports'] } }),
    true,
  ],
  ['deploy, 256 KB of fields', DeployBody, manyFields(256 * 1024, (f) => ({ artifact, ...f })), false],
  ['secrets set, 256 KB of secrets', SecretsChangeBody, manyFields(256 * 1024, (set) => ({ set })), false],
  ['certs add, 384 KB of fields', AddCertificateBody, manyFields(384 * 1024, (f) => f), false],
  ['default route, 64 KB of fields', CreateAppBody, manyFields(64 * 1024, (f) => f), false],
];
console.log('\nrequest body'.padEnd(35), 'bytes'.padStart(7), 'cold ms', 'median', '   max', 'cpu med');
for (const [name, schema, body, isDeploy] of bodies) {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    try {
      const parsed = validateBody(schema, JSON.parse(body) as unknown) as DeployBody;
      if (isDeploy) loadConfigText(parsed.config.text, parsed.config.file);
    } catch {
      // refused by the schema: the cost is what is measured
    }
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  console.log(
    name.padEnd(34),
    String(body.length).padStart(7),
    (times[0] ?? 0).toFixed(1).padStart(7),
    (warm[Math.floor(warm.length / 2)] ?? 0).toFixed(1).padStart(6),
    (warm[warm.length - 1] ?? 0).toFixed(1).padStart(6),
    (cpu.slice(1).sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? 0).toFixed(1).padStart(7),
  );
}
