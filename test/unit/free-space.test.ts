import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { minFreeSpace, parseMinFreeSpace } from '../../src/config/free-space.js';
import { validateConfig } from '../../src/config/validate.js';
import { DEFAULT_MIN_FREE_BYTES, requiredFreeBytes } from '../../src/store/free-space.js';

const GiB = 1024 ** 3;

describe('minFreeSpace', () => {
  it('reads sizes as prune --max-size does, percentages of the disk, and 0 (off)', () => {
    expect(parseMinFreeSpace('2GB', 'x')).toEqual({ kind: 'bytes', bytes: 2e9 });
    expect(parseMinFreeSpace('1GiB', 'x')).toEqual({ kind: 'bytes', bytes: GiB });
    expect(parseMinFreeSpace(500, 'x')).toEqual({ kind: 'bytes', bytes: 500 });
    expect(parseMinFreeSpace('0', 'x')).toEqual({ kind: 'bytes', bytes: 0 });
    expect(parseMinFreeSpace('10%', 'x')).toEqual({ kind: 'percent', percent: 10 });
    expect(parseMinFreeSpace(' 2.5 % ', 'x')).toEqual({ kind: 'percent', percent: 2.5 });
  });

  it('refuses anything else with one sentence naming where it came from', () => {
    for (const bad of ['lots', '150%', '-1', -1, Number.NaN, true, '5 parsecs']) {
      expect(() => parseMinFreeSpace(bad, 'CACHEX_MIN_FREE_SPACE')).toThrow(ConfigError);
      expect(() => parseMinFreeSpace(bad, 'CACHEX_MIN_FREE_SPACE')).toThrow(/^CACHEX_MIN_FREE_SPACE must be a size/);
    }
    expect(() => validateConfig({ tasks: {}, minFreeSpace: 'lots' }, 'cachex.config.ts')).toThrow(
      /^cachex\.config\.ts: `minFreeSpace` must be a size .*, got "lots"\.$/,
    );
    expect(validateConfig({ tasks: {}, minFreeSpace: '5%' }, 'c.ts').minFreeSpace).toBe('5%');
  });

  it('the environment wins over the config; without either, the default', () => {
    expect(minFreeSpace({ minFreeSpace: '1GB' }, { CACHEX_MIN_FREE_SPACE: '3%' })).toEqual({
      kind: 'percent',
      percent: 3,
    });
    expect(minFreeSpace({ minFreeSpace: '1GB' }, {})).toEqual({ kind: 'bytes', bytes: 1e9 });
    expect(minFreeSpace(null, { CACHEX_MIN_FREE_SPACE: '' })).toEqual({ kind: 'default' });
  });

  it('the default is 1 GiB, or 5 % of the disk when that is less', () => {
    expect(requiredFreeBytes({ kind: 'default' }, 1000 * GiB)).toBe(DEFAULT_MIN_FREE_BYTES);
    expect(requiredFreeBytes({ kind: 'default' }, 4 * 1024 * 1024)).toBe(Math.ceil(4 * 1024 * 1024 * 0.05));
    expect(requiredFreeBytes({ kind: 'percent', percent: 10 }, 1000)).toBe(100);
    expect(requiredFreeBytes({ kind: 'bytes', bytes: 7 }, 1000)).toBe(7);
  });
});
