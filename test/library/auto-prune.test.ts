import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { openStore } from '../../src/store/open.js';

let dir: string;
let data: string;
const savedMaxSize = process.env.CACHEX_MAX_SIZE;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-lib-caps-'));
  data = path.join(dir, 'data');
  delete process.env.CACHEX_MAX_SIZE;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedMaxSize === undefined) delete process.env.CACHEX_MAX_SIZE;
  else process.env.CACHEX_MAX_SIZE = savedMaxSize;
});

/** 100 kB of random bytes per call (incompressible), memory layer off so every call reaches the store. */
const blobOf = (extra: object = {}) =>
  cache(async ({ n }: { n: number }) => ({ n, bytes: randomBytes(100_000) }), {
    name: 'blob',
    dataFolder: data,
    memory: false,
    ...extra,
  });

async function stored(): Promise<{ n: number; bytes: number }[]> {
  const entries = await openStore(data).list();
  return entries
    .map((e) => ({ n: (e.meta?.params?.n?.value as number) ?? -1, bytes: e.diskBytes }))
    .sort((a, b) => a.n - b.n);
}

describe('cache(): the store caps are kept after a call stores', () => {
  it('maxSize: the call that crossed it prunes the least recently used entry', async () => {
    const blob = blobOf({ maxSize: '250k' });
    for (const n of [1, 2]) await blob({ n });
    expect((await stored()).map((e) => e.n)).toEqual([1, 2]);
    await blob({ n: 3 });
    const left = await stored();
    expect(left.map((e) => e.n)).toEqual([2, 3]);
    expect(left.reduce((sum, e) => sum + e.bytes, 0)).toBeLessThanOrEqual(250 * 1024);
  });

  it('CACHEX_MAX_SIZE sets it without an option; a hit never prunes', async () => {
    const blob = blobOf();
    for (const n of [1, 2, 3]) await blob({ n });
    process.env.CACHEX_MAX_SIZE = '150k';
    await blob({ n: 1 }); // a hit
    expect((await stored()).map((e) => e.n)).toEqual([1, 2, 3]);
    expect(existsSync(path.join(data, 'auto-prune.json'))).toBe(false);
    await blob({ n: 4 });
    const left = await stored();
    expect(left.reduce((sum, e) => sum + e.bytes, 0)).toBeLessThanOrEqual(150 * 1024);
    expect(left.map((e) => e.n)).toContain(1); // hit in the last minute: in use
  });

  it('refuses a maxSize that is not a size when the function is wrapped', () => {
    expect(() => blobOf({ maxSize: 'lots' })).toThrow(/cache\(\): blob: `maxSize` must be a size such as '5GB'/);
    expect(() => blobOf({ pruneUnusedFor: 'soon' })).toThrow(/`pruneUnusedFor` must be a duration/);
  });
});
