import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/cli/suggest.js';

describe('did-you-mean', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('covn', 'conv')).toBe(1);
    expect(editDistance('tasks', 'taks')).toBe(1);
    expect(editDistance('conv', 'conv')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests a short task name from a transposition, and nothing for an unrelated word', () => {
    expect(suggest('covn', ['conv', 'potree'])).toBe('conv');
    expect(suggest('sumn', ['sum', 'echo'])).toBe('sum');
    expect(suggest('zzz', ['conv', 'sum'])).toBeNull();
    expect(suggest('x', ['y'])).toBeNull();
  });
});
