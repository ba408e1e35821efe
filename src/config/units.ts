import { UsageError } from '../errors.js';

const SECOND = 1000;
const DURATION_UNITS: Record<string, number> = {
  s: SECOND,
  m: 60 * SECOND,
  h: 60 * 60 * SECOND,
  d: 24 * 60 * 60 * SECOND,
  w: 7 * 24 * 60 * 60 * SECOND,
};

/**
 * Decimal units like formatBytes prints them (kB = 1000), and the binary ones
 * (KiB = 1024) for users who think in those. Single letters are decimal, as in
 * `du --si`: `1.5G` is what `ls` would show as 1.5 GB.
 */
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)$/;

/** `30d`, `12h`, `90m`, `45s`, `2w` → milliseconds; anything else is a usage error naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const match = NUMBER.exec(text.trim());
  const unit = match?.[2].toLowerCase() ?? '';
  const factor = DURATION_UNITS[unit];
  const ms = match && factor ? Number(match[1]) * factor : NaN;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} is not a duration; write a number and a unit, like 30d, 12h, 90m, 45s or 2w.`,
    );
  }
  return Math.round(ms);
}

/** `5GB`, `500MB`, `1.5G`, `800k`, `1024` (bytes) → bytes; anything else is a usage error naming the flag. */
export function parseSize(text: string, flag: string): number {
  const match = NUMBER.exec(text.trim());
  const factor = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && factor ? Number(match[1]) * factor : NaN;
  if (!Number.isFinite(bytes) || bytes > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(
      `${flag} ${JSON.stringify(text)} is not a size; write bytes or a number and a unit, like 5GB, 500MB, 1.5G or 800k.`,
    );
  }
  return Math.floor(bytes);
}

/** `--keep 3` → 3; a count must be a whole number, 0 or more. */
export function parseCount(text: string, flag: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n))
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a count; write a whole number such as 3.`);
  return n;
}
