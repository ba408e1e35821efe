import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseCount, parseDuration, parseSize } from '../../src/config/units.js';

describe('durations for prune --older-than / --unused-for', () => {
  it('reads seconds, minutes, hours, days and weeks', () => {
    expect(parseDuration('45s', '--x')).toBe(45_000);
    expect(parseDuration('90m', '--x')).toBe(90 * 60_000);
    expect(parseDuration('12h', '--x')).toBe(12 * 3_600_000);
    expect(parseDuration('30d', '--x')).toBe(30 * 86_400_000);
    expect(parseDuration('2w', '--x')).toBe(14 * 86_400_000);
    expect(parseDuration('1.5h', '--x')).toBe(90 * 60_000);
    expect(parseDuration('0s', '--x')).toBe(0);
  });

  it('accepts upper-case units and a space before the unit', () => {
    expect(parseDuration('7D', '--x')).toBe(7 * 86_400_000);
    expect(parseDuration('3 h', '--x')).toBe(3 * 3_600_000);
  });

  it.each(['', '30', 'd', '-1d', '1y', '30 days', 'NaNd', 'Infinityd', '1e3d', '1,5h', '99999999999999999w'])(
    'refuses %j with a usage error that names the flag and shows examples',
    (text) => {
      const attempt = () => parseDuration(text, '--older-than');
      expect(attempt).toThrow(UsageError);
      expect(attempt).toThrow(/^--older-than .* is not a duration; .*30d/);
    },
  );
});

describe('sizes for prune --max-size', () => {
  it('reads decimal units, binary units and plain bytes', () => {
    expect(parseSize('5GB', '--x')).toBe(5e9);
    expect(parseSize('500MB', '--x')).toBe(500e6);
    expect(parseSize('1.5G', '--x')).toBe(1.5e9);
    expect(parseSize('800k', '--x')).toBe(800_000);
    expect(parseSize('800kB', '--x')).toBe(800_000);
    expect(parseSize('2KiB', '--x')).toBe(2048);
    expect(parseSize('1GiB', '--x')).toBe(1024 ** 3);
    expect(parseSize('1234', '--x')).toBe(1234);
    expect(parseSize('0', '--x')).toBe(0);
    expect(parseSize('10b', '--x')).toBe(10);
  });

  it.each(['', 'GB', '-5GB', '5XB', '5 gigabytes', 'NaN', 'Infinity', '1e9', '99999999999TB', 'lots'])(
    'refuses %j with a usage error that names the flag and shows examples',
    (text) => {
      const attempt = () => parseSize(text, '--max-size');
      expect(attempt).toThrow(UsageError);
      expect(attempt).toThrow(/^--max-size .* is not a size; .*5GB/);
    },
  );
});

describe('counts for prune --keep', () => {
  it('reads whole numbers', () => {
    expect(parseCount('0', '--keep')).toBe(0);
    expect(parseCount('3', '--keep')).toBe(3);
  });

  it.each(['', '-1', '1.5', 'three', '1e2', '99999999999999999999'])('refuses %j', (text) => {
    expect(() => parseCount(text, '--keep')).toThrow(UsageError);
  });
});
