import { describe, expect, it } from 'vitest';
import { refuseNonHexTarget } from '../../src/cli/inspect.js';
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

describe('inspect <target> that names no task (moved from e2e inspect.test.ts)', () => {
  it.each(['../../etc', '../../../tmp', '$(touch pwned)', 'abcdef; rm -rf ~', 'zzzzzzzz'])(
    'refuses %j as neither a task nor a key prefix',
    (target) => {
      const attempt = () => refuseNonHexTarget(target);
      expect(attempt).toThrow(UsageError);
      expect(attempt).toThrow(
        `${JSON.stringify(target)} is neither a task nor a key prefix; name a task (see \`cachex tasks\`) or give at least 6 hex characters of a key (see \`cachex ls\`).`,
      );
    },
  );

  it('passes a hex target on to the key prefix checks (too short, too long)', () => {
    for (const target of ['abc', 'a'.repeat(65), 'ABCDEF']) expect(() => refuseNonHexTarget(target)).not.toThrow();
    expect(() => checkKeyPrefix('a'.repeat(65))).toThrow(
      /^"a{65}" is not a key prefix; give at least 6 hex characters of a key from `cachex ls`\.$/,
    );
  });
});
