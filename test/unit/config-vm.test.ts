// [[vm]] as flyctl reads it: sizes, presets, overrides, per-group sizing, and bad sizes refused
// with a hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import type { VmConfig } from '../../src/core/config/types.js';
import { machineLimits, parseMemoryMb, sizePreset, vmForGroup, vmSizing } from '../../src/core/config/vm.js';

test('memory sizes: binary units, a bare number is MB', () => {
  const cases: [unknown, number | RegExp][] = [
    ['512mb', 512],
    ['1gb', 1024],
    ['1GB', 1024],
    ['2gb', 2048],
    ['1024mb', 1024],
    ['1.5gb', 1536],
    ['1GiB', 1024],
    ['1g', 1024],
    ['512m', 512],
    ['512 MB', 512],
    ['262144kb', 256],
    ['1073741824b', 1024],
    ['416gb', 416 * 1024],
    [256, 256],
    ['256', 256],
    [' 1gb ', 1024],
    ['0mb', /at least 6 MB/],
    [0, /at least 6 MB/],
    ['5mb', /at least 6 MB/],
    ['100kb', /at least 6 MB \(got 0 MB\)/],
    [0.5, /whole number of MB/],
    ['lots', /is not a size \(got "lots"\)/],
    ['1 gb of ram', /is not a size/],
    ['1i', /is not a size/],
    ['-1gb', /is not a size/],
    [true, /must be a size/],
  ];
  for (const [value, want] of cases) {
    const got = parseMemoryMb(value);
    if (typeof want === 'number') assert.deepEqual(got, { mb: want }, JSON.stringify(value));
    else assert.match('problem' in got ? got.problem : `mb ${got.mb}`, want, JSON.stringify(value));
  }
});

test("fly's size presets", () => {
  assert.deepEqual(sizePreset('shared-cpu-1x'), { cpus: 1, memoryMb: 256, cpuKind: 'shared' });
  assert.deepEqual(sizePreset('shared-cpu-2x'), { cpus: 2, memoryMb: 512, cpuKind: 'shared' });
  assert.deepEqual(sizePreset('performance-4x'), { cpus: 4, memoryMb: 8192, cpuKind: 'performance' });
  assert.equal(sizePreset('a100-40gb'), undefined);
  assert.equal(sizePreset('shared-cpu-3x'), undefined);
});

const lines = (...l: string[]) => l.join('\n');

interface Case {
  name: string;
  toml: string;
  vm?: VmConfig[];
  error?: { path: string; message: RegExp; hint?: RegExp };
  warnings?: { path: string; message: RegExp }[];
}

const cases: Case[] = [
  {
    name: 'memory, cpus and cpu_kind',
    toml: lines('[[vm]]', 'memory = "512mb"', 'cpu_kind = "shared"', 'cpus = 1'),
    vm: [{ processes: [], memoryMb: 512, cpus: 1, cpuKind: 'shared' }],
    warnings: [{ path: 'vm', message: /docker driver only/ }],
  },
  {
    name: 'memory and memory_mb that agree, as fly launch writes them',
    toml: lines('[[vm]]', "memory = '1gb'", "cpu_kind = 'shared'", 'cpus = 1', 'memory_mb = 1024'),
    vm: [{ processes: [], memoryMb: 1024, cpus: 1, cpuKind: 'shared' }],
  },
  {
    name: 'memory_mb wins over memory, as on fly, with a warning',
    toml: lines('[[vm]]', 'memory = "1gb"', 'memory_mb = 512'),
    vm: [{ processes: [], memoryMb: 512 }],
    warnings: [{ path: 'vm[0].memory_mb', message: /overrides memory = "1gb" \(1024 MB\)/ }],
  },
  {
    name: 'a bare number of memory is MB',
    toml: lines('[[vm]]', 'memory = 256'),
    vm: [{ processes: [], memoryMb: 256 }],
  },
  {
    name: 'a size preset, then keys over it',
    toml: lines('[[vm]]', 'size = "shared-cpu-2x"', 'memory = "1gb"'),
    vm: [{ processes: [], cpus: 2, memoryMb: 1024, cpuKind: 'shared' }],
  },
  {
    name: '[vm] as a single table',
    toml: lines('[vm]', 'size = "performance-1x"'),
    vm: [{ processes: [], cpus: 1, memoryMb: 2048, cpuKind: 'performance' }],
  },
  {
    name: 'a GPU size and GPU keys are ignored with a warning',
    toml: lines('[[vm]]', 'size = "a100-40gb"', 'gpus = 1', 'gpu_kind = "a100-pcie-40gb"'),
    vm: [{ processes: [] }],
    warnings: [
      { path: 'vm[0].size', message: /not a size berth knows/ },
      { path: 'vm[0].gpus', message: /no GPUs/ },
      { path: 'vm[0].gpu_kind', message: /no GPUs/ },
    ],
  },
  {
    name: 'per group',
    toml: lines(
      '[processes]',
      'web = "npm start"',
      'worker = "npm run worker"',
      '[[vm]]',
      'memory = "1gb"',
      '[[vm]]',
      'processes = ["worker"]',
      'memory = "512mb"',
    ),
    vm: [
      { processes: [], memoryMb: 1024 },
      { processes: ['worker'], memoryMb: 512 },
    ],
  },
  {
    name: 'a group [processes] does not define sizes nothing: a warning',
    toml: lines('[processes]', 'web = "npm start"', '[[vm]]', 'processes = ["wrker"]', 'memory = "1gb"'),
    vm: [{ processes: ['wrker'], memoryMb: 1024 }],
    warnings: [{ path: 'vm[0].processes', message: /"wrker".*size nothing/ }],
  },
  {
    name: 'a bad memory size',
    toml: lines('[[vm]]', 'memory = "lots"'),
    error: { path: 'vm[0].memory', message: /is not a size \(got "lots"\)/, hint: /memory = "512mb"/ },
  },
  {
    name: 'memory too small for a container',
    toml: lines('[[vm]]', 'memory = "4mb"'),
    error: { path: 'vm[0].memory', message: /at least 6 MB/ },
  },
  {
    name: 'memory_mb that is not a number',
    toml: lines('[[vm]]', 'memory_mb = "1gb"'),
    error: { path: 'vm[0].memory_mb', message: /whole number/ },
  },
  {
    name: 'cpus of zero',
    toml: lines('[[vm]]', 'cpus = 0'),
    error: { path: 'vm[0].cpus', message: /between 0\.01 and 1024/, hint: /cpus = 1/ },
  },
  {
    name: 'an unknown cpu_kind',
    toml: lines('[[vm]]', 'cpu_kind = "turbo"'),
    error: { path: 'vm[0].cpu_kind', message: /"shared" or "performance"/ },
  },
  {
    name: 'vm that is not a table',
    toml: 'vm = "big"',
    error: { path: 'vm', message: /must be a table/ },
  },
];

for (const c of cases) {
  test(`[[vm]]: ${c.name}`, () => {
    const loaded = loadConfigText(c.toml, 'fly.toml');
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning');
    if (c.error) {
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.path, c.error.path);
      assert.match(errors[0]!.message, c.error.message);
      if (c.error.hint) assert.match(errors[0]!.hint, c.error.hint);
      assert.ok(errors[0]!.line, 'the error has its line');
      return;
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(loaded.config?.vm, c.vm);
    for (const w of c.warnings ?? []) {
      assert.ok(
        warnings.some((d) => d.path === w.path && w.message.test(d.message)),
        `missing warning ${w.path} ${w.message}; got ${JSON.stringify(warnings)}`,
      );
    }
  });
}

test('a group is sized by the [[vm]] for every group, then its own', () => {
  const vms: VmConfig[] = [
    { processes: [], memoryMb: 1024, cpus: 1, cpuKind: 'shared' },
    { processes: ['worker'], memoryMb: 512 },
    { processes: ['batch'], cpus: 4 },
  ];
  assert.deepEqual(vmForGroup(vms, 'app'), { memoryMb: 1024, cpus: 1, cpuKind: 'shared' });
  assert.deepEqual(vmForGroup(vms, 'worker'), { memoryMb: 512, cpus: 1, cpuKind: 'shared' });
  assert.deepEqual(vmForGroup(vms, 'batch'), { memoryMb: 1024, cpus: 4, cpuKind: 'shared' });
  assert.equal(vmForGroup([{ processes: ['worker'], memoryMb: 512 }], 'app'), undefined);
  assert.equal(vmForGroup([], 'app'), undefined);
  // A config stored before [[vm]] was read has none.
  assert.equal(vmForGroup(undefined, 'app'), undefined);
});

test('the limits a driver is given: memory and CPUs only, when set', () => {
  assert.deepEqual(machineLimits([{ processes: [], memoryMb: 256, cpuKind: 'shared' }], 'app'), {
    memoryMb: 256,
  });
  assert.deepEqual(machineLimits([{ processes: [], cpus: 0.5 }], 'app'), { cpus: 0.5 });
  assert.equal(machineLimits([{ processes: [], cpuKind: 'performance' }], 'app'), undefined);
  assert.equal(machineLimits(undefined, 'app'), undefined);
});

test('the sizing a deploy names when its driver does not apply it', () => {
  assert.equal(
    vmSizing([
      { processes: [], memoryMb: 512, cpus: 1 },
      { processes: ['worker'], cpus: 2 },
      { processes: [], cpuKind: 'shared' },
    ]),
    'memory 512 MB, 1 cpu; 2 cpus (worker)',
  );
  assert.equal(vmSizing([{ processes: [], cpuKind: 'shared' }]), undefined);
  assert.equal(vmSizing(undefined), undefined);
});
