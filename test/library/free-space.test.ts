import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-lib-free-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const list = (d: string): string[] => {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
};

describe('cache(fn, { minFreeSpace })', () => {
  it('a result that would leave less free than minFreeSpace is returned, not stored, with a warning naming no CLI flag', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      let calls = 0;
      // All of the disk: no prune can make room, on any file system.
      const f = cache(
        async function roomy() {
          calls++;
          return { n: 1 };
        },
        { dataFolder: data, memory: false, minFreeSpace: '100%' },
      );
      expect(await f()).toEqual({ n: 1 });
      expect(await f.inspect()).toBeNull();
      await f();
      expect(calls).toBe(2);
      expect(list(path.join(data, 'tmp'))).toEqual([]);
      await new Promise((r) => setImmediate(r));
      expect(warnings[0]).toMatch(
        /^roomy was computed and returned but not stored, because storing it would leave .* free on the data folder's disk, less than the .* to keep free \(minFreeSpace, CACHEX_MIN_FREE_SPACE\)/,
      );
      expect(warnings[0]).not.toMatch(/--/);
      // 0 turns it off.
      const g = cache(
        async function stored() {
          return 2;
        },
        { dataFolder: data, memory: false, minFreeSpace: 0 },
      );
      expect(await g()).toBe(2);
      expect(await g.inspect()).not.toBeNull();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a bad minFreeSpace is a TypeError at wrap time, in one sentence', () => {
    expect(() => cache(async function f() {}, { minFreeSpace: 'lots' })).toThrow(
      /^cache\(\): `minFreeSpace` must be a size such as '1GB' or '500MB', a percentage of the disk such as '5%', or 0, got "lots"\.$/,
    );
  });
});
