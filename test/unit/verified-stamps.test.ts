import { describe, expect, it } from 'vitest';
import { safeRelative } from '../../src/store/placement-problem.js';
import { VerifiedStamps } from '../../src/store/local/verified-stamps.js';

describe('VerifiedStamps', () => {
  it('answers as a parse and lookup would, read in order or not', () => {
    const table = { 'a/x.bin': '1 2 3 4 5', 'a/y.bin': '1 3 3 4 5', 'we"ird': '9 9' };
    const text = JSON.stringify(table);
    const asked: Array<[string, string]> = [
      ['a/x.bin', '1 2 3 4 5'],
      ['a/y.bin', '0 0'],
      ['we"ird', '9 9'],
      ['gone', '1'],
    ];
    for (const order of [asked, [...asked].reverse()]) {
      const stamps = new VerifiedStamps(text);
      for (const [rel, stamp] of order)
        expect(stamps.matches(rel, stamp)).toBe(table[rel as keyof typeof table] === stamp);
    }
  });

  it('trusts nothing from an unreadable file', () => {
    const stamps = new VerifiedStamps('{"a":"1 2"');
    expect(stamps.matches('b', '1 2')).toBe(false);
    expect(new VerifiedStamps('not json').matches('a', '1')).toBe(false);
  });
});

describe('safeRelative', () => {
  it('refuses empty, dot and dot-dot parts, absolute paths, NUL and backslashes', () => {
    for (const bad of ['', '/a', 'a/', 'a//b', '.', '..', './a', 'a/.', 'a/../b', 'a\0b', 'a\\b'])
      expect(safeRelative(bad)).toBe(false);
    for (const good of ['a', 'a/b', '...', '.a/b..', 'a/.b', 'd0/f1.bin']) expect(safeRelative(good)).toBe(true);
  });
});
