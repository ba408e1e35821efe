import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialise, SourceVanished } from '../../src/store/materialise.js';
import type { OutputRecord } from '../../src/store/meta.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-place-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (p: string, mode = 0o644): OutputRecord => ({ path: p, type: 'file', size: 1, mode });

describe('materialise', () => {
  it('leaves an existing target as it was when a source file vanishes half-way', () => {
    const source = path.join(dir, 'src');
    mkdirSync(source);
    writeFileSync(path.join(source, 'a.txt'), 'new a');
    // b.txt is in the manifest but gone from the store (pruned while we read)
    const target = path.join(dir, 'target');
    mkdirSync(target);
    writeFileSync(path.join(target, 'a.txt'), 'old a');
    expect(() => materialise(source, [file('a.txt'), file('b.txt')], target, 'copy')).toThrow(SourceVanished);
    expect(readdirSync(target)).toEqual(['a.txt']);
    expect(readFileSync(path.join(target, 'a.txt'), 'utf8')).toBe('old a');
  });

  it('creates a missing target in one rename and leaves no staging folder beside it', () => {
    const source = path.join(dir, 'src');
    mkdirSync(source);
    writeFileSync(path.join(source, 'a.txt'), 'a');
    const report = materialise(source, [file('a.txt', 0o600)], path.join(dir, 'fresh'), 'auto');
    expect(report).toEqual({ replaced: [], alreadyThere: [] });
    expect(readdirSync(dir).sort()).toEqual(['fresh', 'src']);
    expect(readFileSync(path.join(dir, 'fresh', 'a.txt'), 'utf8')).toBe('a');
  });
});
