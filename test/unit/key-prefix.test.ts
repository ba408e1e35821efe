import { describe, expect, it } from 'vitest';
import { checkKeyPrefix } from '../../src/cli/key-prefix.js';
import { UsageError } from '../../src/errors.js';

describe('key prefixes', () => {
  it('accepts 6 to 64 hex characters and lower-cases them', () => {
    expect(checkKeyPrefix('ABCDEF')).toBe('abcdef');
    expect(checkKeyPrefix('0'.repeat(64))).toBe('0'.repeat(64));
  });

  it('refuses short, long, non-hex and path-like prefixes with a usage error', () => {
    for (const bad of ['abcde', '', '0'.repeat(65), '../../etc', 'abcdef/..', 'abcdeg', ' abcdef', 'abcdef\n']) {
      expect(() => checkKeyPrefix(bad), JSON.stringify(bad)).toThrow(UsageError);
    }
  });

  it('says what is wrong: too short, or not a key prefix at all (from e2e rebuild.test.ts and inspect.test.ts)', () => {
    expect(() => checkKeyPrefix('abc')).toThrow(/^The key prefix abc is too short; give at least 6 hex characters/);
    expect(() => checkKeyPrefix('../../etc')).toThrow(/^"\.\.\/\.\.\/etc" is not a key prefix; give at least 6 hex/);
    expect(() => checkKeyPrefix('a'.repeat(65))).toThrow(/is not a key prefix/);
  });
});
