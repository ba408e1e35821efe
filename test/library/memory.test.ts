import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-mem-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Removes the stored result file of an entry behind the library's back. */
function dropResultFile(entryDir: string): void {
  for (const name of readdirSync(entryDir)) if (name.startsWith('result.')) rmSync(path.join(entryDir, name));
}

describe('memory layer', () => {
  it('answers repeated calls without reading the entry (its result file may even be gone)', async () => {
    let calls = 0;
    const f = cache(
      async function table({ n }: { n: number }) {
        calls++;
        return new Map([[n, 'x'.repeat(10_000)]]);
      },
      { dataFolder: data },
    );
    await f({ n: 1 });
    const entryDir = path.dirname(f.outDir({ n: 1 })!);
    dropResultFile(entryDir);
    const again = await f({ n: 1 });
    expect(again.get(1)).toHaveLength(10_000);
    expect(calls).toBe(1);
    expect(f.stats()).toMatchObject({ memoryHits: 1, diskHits: 0, misses: 1 });
    // Without the memory layer the same damage is caught on load and the value recomputed.
    const g = cache(
      async function table({ n }: { n: number }) {
        calls++;
        return new Map([[n, 'x'.repeat(10_000)]]);
      },
      { dataFolder: data, memory: false },
    );
    await g({ n: 1 }); // (warns that the entry is corrupt)
    expect(calls).toBe(2);
    expect(g.stats()).toMatchObject({ memoryHits: 0, misses: 1, entriesInMemory: 0, bytesInMemory: 0 });
  });

  it('never serves an entry that was pruned (removed) or replaced on disk', async () => {
    let calls = 0;
    const f = cache(
      async function prunable({ n }: { n: number }) {
        calls++;
        return `${n}-${calls}`;
      },
      { dataFolder: data },
    );
    expect(await f({ n: 1 })).toBe('1-1');
    rmSync(path.dirname(f.outDir({ n: 1 })!), { recursive: true });
    expect(await f({ n: 1 })).toBe('1-2');
    expect(f.stats()).toMatchObject({ memoryHits: 0, misses: 2 });

    // Another process (here: another cached function over the same entry) forces a recompute.
    const other = cache(
      async function prunable({ n }: { n: number }) {
        calls++;
        return `${n}-${calls}`;
      },
      { dataFolder: data, memory: false, module: f.module },
    );
    expect(await other.make({ force: true, n: 1 })).toBe('1-3');
    expect(await f({ n: 1 })).toBe('1-3');
    expect(f.stats()).toMatchObject({ memoryHits: 0, diskHits: 1 });
    expect(await f({ n: 1 })).toBe('1-3');
    expect(f.stats().memoryHits).toBe(1);
  });

  it('returns a fresh copy on every hit, so callers cannot change what is cached', async () => {
    const f = cache(
      async function mutable() {
        return { list: [1, 2] };
      },
      { dataFolder: data },
    );
    const first = await f();
    first.list.push(3);
    const second = await f();
    expect(second.list).toEqual([1, 2]);
    second.list.push(4);
    expect((await f()).list).toEqual([1, 2]);
  });

  it('returns typed arrays and Buffers that do not share memory with the cache', async () => {
    const f = cache(
      async function binary() {
        return { bytes: new Uint8Array([1, 2, 3]), buf: Buffer.from('abc'), floats: new Float64Array([1.5, 2.5]) };
      },
      { dataFolder: data },
    );
    const g = cache(
      async function binary() {
        return { bytes: new Uint8Array([1, 2, 3]), buf: Buffer.from('abc'), floats: new Float64Array([1.5, 2.5]) };
      },
      { dataFolder: data },
    );
    await f();
    for (const source of [g, g, f]) {
      // g: a disk hit (whose bytes fill memory), then a memory hit; f: a memory hit
      const value = await source();
      expect(Array.from(value.bytes)).toEqual([1, 2, 3]);
      expect(Buffer.from(value.buf).toString()).toBe('abc');
      expect(Array.from(value.floats)).toEqual([1.5, 2.5]);
      value.bytes[0] = 99;
      value.buf[0] = 65;
      value.floats[0] = -1;
    }
    expect(g.stats()).toMatchObject({ diskHits: 1, memoryHits: 1 });
    const last = await g();
    expect(Array.from(last.bytes)).toEqual([1, 2, 3]);
  });

  it('evicts the least recently used result when the byte limit is reached', async () => {
    let calls = 0;
    // Each result serialises to a little over 1000 bytes: two fit in 2500, three do not.
    const f = cache(
      async function blob({ id }: { id: string }) {
        calls++;
        return id.repeat(1000);
      },
      { dataFolder: data, memory: { maxBytes: 2500 } },
    );
    await f({ id: 'a' });
    await f({ id: 'b' });
    expect(f.stats()).toMatchObject({ entriesInMemory: 2, misses: 2 });
    await f({ id: 'a' }); // a is now the most recently used
    await f({ id: 'c' }); // evicts b
    const s = f.stats();
    expect(s.entriesInMemory).toBe(2);
    expect(s.bytesInMemory).toBeGreaterThan(2000);
    expect(s.bytesInMemory).toBeLessThanOrEqual(2500);
    await f({ id: 'a' });
    await f({ id: 'c' });
    expect(f.stats()).toMatchObject({ memoryHits: 3, diskHits: 0 });
    await f({ id: 'b' }); // evicted: answered from disk, then held again
    expect(f.stats()).toMatchObject({ memoryHits: 3, diskHits: 1, misses: 3 });
    expect(calls).toBe(3);
  });

  it('bounds the number of held results and skips results larger than the whole budget', async () => {
    const f = cache(
      async function small({ i }: { i: number }) {
        return i;
      },
      { dataFolder: data, memory: { maxEntries: 2 } },
    );
    for (const i of [1, 2, 3]) await f({ i });
    expect(f.stats().entriesInMemory).toBe(2);
    await f({ i: 1 });
    expect(f.stats()).toMatchObject({ diskHits: 1, memoryHits: 0 });

    const big = cache(
      async function big() {
        return 'x'.repeat(5000);
      },
      { dataFolder: data, memory: { maxBytes: 1000 } },
    );
    await big();
    await big();
    expect(big.stats()).toMatchObject({ entriesInMemory: 0, bytesInMemory: 0, diskHits: 1, misses: 1 });
  });

  it('keeps stats of memory hits, disk hits, misses and bytes held', async () => {
    const f = cache(
      async function counted({ x }: { x: number }) {
        return new Float64Array(100).fill(x);
      },
      { dataFolder: data },
    );
    await f({ x: 1 });
    await f({ x: 1 });
    await f({ x: 2 });
    const fresh = cache(
      async function counted({ x }: { x: number }) {
        return new Float64Array(100).fill(x);
      },
      { dataFolder: data },
    );
    await fresh({ x: 1 });
    await fresh({ x: 1 });
    expect(f.stats()).toEqual({
      memoryHits: 1,
      diskHits: 0,
      misses: 2,
      joined: 0,
      bytesInMemory: f.stats().bytesInMemory,
      entriesInMemory: 2,
      remoteHits: 0,
      remoteMisses: 0,
      remoteUploads: 0,
      remoteErrors: 0,
    });
    expect(f.stats().bytesInMemory).toBeGreaterThan(1600);
    expect(fresh.stats()).toMatchObject({ memoryHits: 1, diskHits: 1, misses: 0, entriesInMemory: 1 });
    expect(fresh.stats().bytesInMemory).toBe(f.stats().bytesInMemory / 2);
  });

  it('make({ force: true }) refreshes the held result', async () => {
    let calls = 0;
    const f = cache(
      async function refreshed() {
        return ++calls;
      },
      { dataFolder: data },
    );
    expect(await f()).toBe(1);
    expect(await f.make({ force: true })).toBe(2);
    expect(await f()).toBe(2);
    expect(f.stats()).toMatchObject({ memoryHits: 1, misses: 2, entriesInMemory: 1 });
  });
});
