// fly's [[vm]]: how big a machine is. On fly it sizes a VM; here the docker driver turns it into
// container limits (memory, CPUs) and the process driver does not apply it. Read as flyctl
// reads it: `size` gives a preset, then `memory` ("512mb", "1gb", a bare number of MB), then
// `memory_mb`, `cpus` and `cpu_kind` override it. A [[vm]] without `processes` applies to every
// group; one with `processes` to those groups, over the first.
import type { Reader, Table } from './reader.js';
import { describe, isTable, listTables } from './reader.js';
import type { VmConfig } from './types.js';

/** The Docker Engine refuses a memory limit under 6 MB. */
export const MIN_MEMORY_MB = 6;
const MAX_CPUS = 1024;
const CPU_KINDS = ['shared', 'performance'] as const;
// fly keys with no meaning here: GPUs and placement.
const FLY_ONLY_VM_KEYS = ['gpus', 'gpu_kind', 'kernel_args', 'host_dedication_id', 'persist_rootfs'];
const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
const MIB = 2 ** 20;

/** A memory size in whole MB (MiB), or why it is not one. Numbers and unit-less strings are MB. */
export function parseMemoryMb(value: unknown): { mb: number } | { problem: string } {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { problem: 'a bare number is a whole number of MB' };
    return atLeastMinimum(value);
  }
  if (typeof value !== 'string')
    return { problem: `must be a size such as "512mb" (got ${describe(value)})` };
  const text = value.trim();
  if (/^\d+$/.test(text)) return atLeastMinimum(Number(text));
  // docker's RAMInBytes, as flyctl uses it: binary units, "b" and "i" optional, one space allowed.
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp]?)(i?)(b?)$/i.exec(text);
  if (!match || (match[2] === '' && match[3] !== '')) {
    return { problem: `is not a size (got ${describe(value)})` };
  }
  const bytes = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  return atLeastMinimum(Math.floor(bytes / MIB));
}

function atLeastMinimum(mb: number): { mb: number } | { problem: string } {
  return mb >= MIN_MEMORY_MB && Number.isSafeInteger(mb)
    ? { mb }
    : { problem: `must be at least ${MIN_MEMORY_MB} MB (got ${mb} MB)` };
}

/** fly's presets: shared-cpu-Nx and performance-Nx. Undefined for others (GPU sizes). */
export function sizePreset(size: string): Omit<VmConfig, 'processes'> | undefined {
  const match = /^(shared-cpu|performance)-(\d+)x$/.exec(size.trim().toLowerCase());
  const cpus = Number(match?.[2]);
  if (!match || ![1, 2, 4, 8, 16].includes(cpus)) return undefined;
  return match[1] === 'shared-cpu'
    ? { cpus, memoryMb: 256 * cpus, cpuKind: 'shared' }
    : { cpus, memoryMb: 2048 * cpus, cpuKind: 'performance' };
}

const MEMORY_HINT = 'Write a size such as memory = "512mb" or "1gb", or memory_mb = 512.';

export function readVm(r: Reader, raw: Table): VmConfig[] {
  const value = raw.vm;
  if (value !== undefined && !isTable(value) && !Array.isArray(value)) {
    r.error(['vm'], `must be a table (got ${describe(value)})`, 'Write it as [[vm]].');
    return [];
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (!isTable(item))
        r.error(['vm', i], `must be a table (got ${describe(item)})`, 'Write it as [[vm]].');
    });
  }
  const entries = listTables(raw, 'vm', []);
  if (entries.length > 0) {
    r.warn(
      ['vm'],
      'applies on the docker driver only, as container limits; the process driver does not limit memory or CPUs',
      'Deploy with --driver docker to have it applied, or keep it for fly.',
    );
  }
  return entries.map(({ table, path }) => readOne(r, table, path));
}

function readOne(r: Reader, t: Table, base: readonly (string | number)[]): VmConfig {
  r.unknownKeys(t, base, [
    'size',
    'memory',
    'memory_mb',
    'cpus',
    'cpu_kind',
    'processes',
    ...FLY_ONLY_VM_KEYS,
  ]);
  for (const key of FLY_ONLY_VM_KEYS) {
    if (t[key] !== undefined) {
      r.warn(
        [...base, key],
        'berth has no GPUs or dedicated hosts; it ignores this',
        'Keep it for fly, or remove it.',
      );
    }
  }
  const vm: VmConfig = { processes: r.strings(t, 'processes', base) ?? [] };
  const size = r.string(t, 'size', base);
  if (size !== undefined) {
    const preset = sizePreset(size);
    if (preset) Object.assign(vm, preset);
    else {
      r.warn(
        [...base, 'size'],
        `${describe(size)} is not a size berth knows (shared-cpu-Nx, performance-Nx); berth ignores it`,
        'Give memory and cpus instead.',
      );
    }
  }
  if (t.memory !== undefined) {
    const memory = parseMemoryMb(t.memory);
    if ('mb' in memory) vm.memoryMb = memory.mb;
    else r.error([...base, 'memory'], memory.problem, MEMORY_HINT);
  }
  const memoryMb = r.integer(t, 'memory_mb', base, MIN_MEMORY_MB);
  if (memoryMb !== undefined) {
    // flyctl lets memory_mb win; a file that says two things is worth a word.
    const fromMemory = t.memory !== undefined ? vm.memoryMb : undefined;
    if (fromMemory !== undefined && fromMemory !== memoryMb) {
      r.warn(
        [...base, 'memory_mb'],
        `memory_mb = ${memoryMb} overrides memory = ${describe(t.memory)} (${fromMemory} MB), as on fly`,
        'Keep one of memory and memory_mb.',
      );
    }
    vm.memoryMb = memoryMb;
  }
  const cpus = readCpus(r, t, base);
  if (cpus !== undefined) vm.cpus = cpus;
  const kind = r.string(t, 'cpu_kind', base);
  if (kind !== undefined) {
    const k = kind.trim().toLowerCase();
    if ((CPU_KINDS as readonly string[]).includes(k)) vm.cpuKind = k as VmConfig['cpuKind'];
    else {
      r.error(
        [...base, 'cpu_kind'],
        `must be "shared" or "performance" (got ${describe(kind)})`,
        'Write cpu_kind = "shared" or "performance".',
      );
    }
  }
  return vm;
}

function readCpus(r: Reader, t: Table, base: readonly (string | number)[]): number | undefined {
  const value = t.cpus;
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n) && n >= 0.01 && n <= MAX_CPUS) return n;
  r.error(
    [...base, 'cpus'],
    `must be a number of CPUs between 0.01 and ${MAX_CPUS} (got ${describe(value)})`,
    'Write e.g. cpus = 1, or 0.5 for half a CPU.',
  );
  return undefined;
}

/**
 * The sizing of one process group's machines: the [[vm]] entries without `processes`, then
 * the ones naming the group, later keys over earlier ones. Undefined when nothing sizes it.
 */
export function vmForGroup(
  vms: readonly VmConfig[] | undefined,
  group: string,
): Omit<VmConfig, 'processes'> | undefined {
  const applying = [
    ...(vms ?? []).filter((vm) => vm.processes.length === 0),
    ...(vms ?? []).filter((vm) => vm.processes.includes(group)),
  ];
  if (applying.length === 0) return undefined;
  const sized: Omit<VmConfig, 'processes'> = {};
  for (const vm of applying) {
    if (vm.memoryMb !== undefined) sized.memoryMb = vm.memoryMb;
    if (vm.cpus !== undefined) sized.cpus = vm.cpus;
    if (vm.cpuKind !== undefined) sized.cpuKind = vm.cpuKind;
  }
  return sized;
}

/** What a driver is given to limit one group's machines with (MachineSpec.limits). */
export function machineLimits(
  vms: readonly VmConfig[] | undefined,
  group: string,
): { memoryMb?: number; cpus?: number } | undefined {
  const vm = vmForGroup(vms, group);
  if (vm?.memoryMb === undefined && vm?.cpus === undefined) return undefined;
  return {
    ...(vm.memoryMb !== undefined && { memoryMb: vm.memoryMb }),
    ...(vm.cpus !== undefined && { cpus: vm.cpus }),
  };
}

/** "memory 512 MB, 2 cpus" of the file's [[vm]] entries, for a driver that does not apply them; undefined when none sizes anything. */
export function vmSizing(vms: readonly VmConfig[] | undefined): string | undefined {
  const parts = (vms ?? []).flatMap((vm) => {
    const sized = [
      vm.memoryMb !== undefined ? `memory ${vm.memoryMb} MB` : undefined,
      vm.cpus !== undefined ? `${vm.cpus} cpu${vm.cpus === 1 ? '' : 's'}` : undefined,
    ].filter((part): part is string => part !== undefined);
    if (sized.length === 0) return [];
    const groups = vm.processes.length > 0 ? ` (${vm.processes.join(', ')})` : '';
    return [`${sized.join(', ')}${groups}`];
  });
  return parts.length > 0 ? parts.join('; ') : undefined;
}
