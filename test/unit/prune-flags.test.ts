/**
 * prune's flags as selectors (src/cli/prune.ts parseSelectors), the function prune's action calls
 * before it opens the store. These cases moved from the spawn-per-case table in
 * test/e2e/prune.test.ts, which keeps one of them to prove the CLI wires the parser.
 */
import { describe, expect, it } from 'vitest';
import { parseSelectors } from '../../src/cli/prune.js';
import { UsageError } from '../../src/errors.js';

describe('prune flags', () => {
  it('reads each selector into its unit', () => {
    expect(
      parseSelectors({ olderThan: '30d', unusedFor: '12h', maxSize: '5GB', keep: '2', task: 'convert', all: true }),
    ).toEqual({
      all: true,
      olderThanMs: 30 * 86_400_000,
      unusedForMs: 12 * 3_600_000,
      maxSizeBytes: 5e9,
      keep: 2,
      task: 'convert',
    });
    expect(parseSelectors({ task: 'library/lib' }).task).toBe('library/lib');
    expect(parseSelectors({})).toEqual({ all: false });
  });

  it.each([
    [{ olderThan: '3x' }, /^--older-than "3x" is not a duration/],
    [{ unusedFor: '30' }, /^--unused-for "30" is not a duration/],
    [{ maxSize: '5XB' }, /^--max-size "5XB" is not a size/],
    [{ keep: 'two' }, /^--keep "two" is not a count/],
    [{ task: '../etc' }, /^--task "\.\.\/etc" is not a task name; see `cachex tasks` or `cachex ls`\.$/],
    [{ task: 'a/b/c' }, /^--task "a\/b\/c" is not a task name/],
  ])('refuses %j with a usage error naming the flag', (flags, message) => {
    const attempt = () => parseSelectors(flags);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(message);
  });
});
