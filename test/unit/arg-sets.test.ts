/**
 * The remembered argument sets of a cached function (src/library/arg-sets.ts):
 * a value is found only for exactly the set it was kept for.
 */
import { describe, expect, it } from 'vitest';
import { ArgSets } from '../../src/library/arg-sets.js';

describe('argument sets', () => {
  it('finds a set by its names and values, and no other', () => {
    const sets = new ArgSets<string>(100);
    sets.set({ a: 1, b: 'x' }, 'one');
    sets.set({}, 'none');
    expect(sets.get({ a: 1, b: 'x' })).toBe('one');
    expect(sets.get({})).toBe('none');
    expect(sets.get({ a: 1 })).toBeUndefined(); // a prefix of a kept set
    expect(sets.get({ a: 1, b: 'x', c: 2 })).toBeUndefined();
    expect(sets.get({ b: 'x', a: 1 })).toBeUndefined(); // other order: not found (a miss, never a wrong hit)
    expect(sets.get({ a: '1', b: 'x' })).toBeUndefined();
    expect(sets.get({ a: 1, b: 'y' })).toBeUndefined();
    expect(sets.size).toBe(2);
  });

  it('tells apart values a Map or a string would confuse', () => {
    const sets = new ArgSets<string>(100);
    const values: unknown[] = [0, -0, '0', '', false, null, undefined, Number.NaN, 'null', 'undefined'];
    for (const [i, v] of values.entries()) sets.set({ v }, String(i));
    for (const [i, v] of values.entries()) expect(sets.get({ v })).toBe(String(i));
    expect(sets.get({})).toBeUndefined();
    expect(sets.size).toBe(values.length);
  });

  it('keeps no set with an object in it (it could change between calls)', () => {
    const sets = new ArgSets<string>(100);
    const list = [1];
    sets.set({ list }, 'kept?');
    sets.set({ n: 1, f: () => 1 }, 'kept?');
    sets.set({ n: 2n }, 'kept?');
    expect(sets.get({ list })).toBeUndefined();
    expect(sets.size).toBe(0);
  });

  it('forgets every set at once past its limit', () => {
    const sets = new ArgSets<number>(3);
    for (let n = 0; n < 3; n++) sets.set({ n }, n);
    sets.set({ n: 0 }, 10); // an update is not a new set
    expect(sets.size).toBe(3);
    expect(sets.get({ n: 0 })).toBe(10);
    sets.set({ n: 3 }, 3);
    expect(sets.size).toBe(1);
    expect(sets.get({ n: 0 })).toBeUndefined();
    expect(sets.get({ n: 3 })).toBe(3);
  });
});
