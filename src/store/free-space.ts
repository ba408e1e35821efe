import { statfsSync } from 'node:fs';

/**
 * How much space a store step must leave free on the data folder's file
 * system (config `minFreeSpace`, env CACHEX_MIN_FREE_SPACE): a size, a
 * percentage of the file system, or the default.
 */
export type MinFreeSpace =
  | { kind: 'bytes'; bytes: number }
  | { kind: 'percent'; percent: number }
  | { kind: 'default' };

/**
 * The default: 1 GiB, or 5 % of the file system when that is less. 1 GiB
 * keeps room for the system, logs and the next task's outputs on an ordinary
 * disk; on a small volume (a CI scratch disk, a tmpfs) a fixed 1 GiB would
 * refuse every entry, so it scales down with the file system.
 */
export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;
export const DEFAULT_MIN_FREE_PERCENT = 5;

/** Bytes to keep free on a file system of `totalBytes`. */
export function requiredFreeBytes(rule: MinFreeSpace, totalBytes: number): number {
  switch (rule.kind) {
    case 'bytes':
      return rule.bytes;
    case 'percent':
      return Math.ceil((totalBytes * rule.percent) / 100);
    case 'default':
      return Math.min(DEFAULT_MIN_FREE_BYTES, Math.ceil((totalBytes * DEFAULT_MIN_FREE_PERCENT) / 100));
  }
}

/** Free bytes (for unprivileged writers) and size of the file system holding `dir`; null when statfs fails. */
export function freeSpace(dir: string): { freeBytes: number; totalBytes: number } | null {
  try {
    const fs = statfsSync(dir);
    return { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  } catch {
    return null;
  }
}
