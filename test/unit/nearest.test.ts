import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../../src/config/nearest.js';

describe('nearestName', () => {
  const taskKeys = ['description', 'version', 'module', 'params', 'ignore', 'env', 'run', 'command'];

  it('finds a name one edit away, a swapped pair of letters counting as one edit', () => {
    expect(nearestName('ignor', taskKeys)).toBe('ignore');
    expect(nearestName('ignroe', taskKeys)).toBe('ignore');
    expect(nearestName('comand', taskKeys)).toBe('command');
    expect(nearestName('Version', taskKeys)).toBe('version');
  });

  it('offers nothing when every name is far away', () => {
    expect(nearestName('retries', taskKeys)).toBeNull();
    expect(nearestName('x', ['dataFolder', 'tasks'])).toBeNull();
  });

  it('editDistance counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('debgu', 'debug')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
