// Volume names and sizes as users write them (`volumes create NAME --size 10gb`, a mount's
// source and initial_size): checked here, so every entry point refuses the same things.
import { BerthError } from '../errors.js';

/** Like Fly's: lowercase letters, digits and underscores, starting with a letter, at most 30. */
const VOLUME_NAME = /^[a-z][a-z0-9_]{0,29}$/;
const VOLUME_ID = /^vol_[0-9a-f]{16}$/;

export const DEFAULT_VOLUME_SIZE_BYTES = 1024 ** 3;
const MIN_SIZE_BYTES = 1024 ** 2;
const MAX_SIZE_BYTES = 16 * 1024 ** 4;

const UNITS: Record<string, number> = { '': 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function isVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name);
}

export function isVolumeId(id: string): boolean {
  return VOLUME_ID.test(id);
}

export function assertVolumeName(name: string, where = 'volume name'): void {
  if (!isVolumeName(name)) {
    throw new BerthError('invalid_volume', `${where} ${JSON.stringify(name)} is not a valid volume name`, {
      hint: 'Use 1-30 lowercase letters, digits and underscores, starting with a letter, e.g. "data" or "pg_data".',
    });
  }
}

/**
 * "10gb", "10GB", "10g", "512mb", "1.5gib" or a bare number of gigabytes (as flyctl's --size),
 * into bytes. Units are powers of 1024.
 */
export function parseVolumeSize(text: string, where = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const hint = 'Write a size such as "1gb", "500mb" or "10" (gigabytes), between 1mb and 16tb.';
  if (!match) {
    throw new BerthError('invalid_volume', `${where} ${JSON.stringify(text)} is not a size`, { hint });
  }
  const bytes = Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  if (bytes < MIN_SIZE_BYTES || bytes > MAX_SIZE_BYTES) {
    throw new BerthError('invalid_volume', `${where} ${JSON.stringify(text)} is out of range`, { hint });
  }
  return bytes;
}

/** Bytes as the CLI shows them: "1 GB", "512 MB", "1.5 GB". */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['TB', 1024 ** 4],
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}
