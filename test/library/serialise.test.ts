import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-ser-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rich() {
  const node: Record<string, unknown> = { name: 'root', when: new Date('2024-02-29T12:00:00Z') };
  node.self = node;
  node.children = [{ parent: node, tags: new Set(['a', 'b']) }];
  return {
    map: new Map<unknown, unknown>([
      ['k', 1],
      [2, { nested: [new Map([['deep', 10n ** 30n]])] }],
    ]),
    set: new Set([1, 'two', 3n]),
    date: new Date('2020-01-01T00:00:00Z'),
    floats: new Float64Array([0.1, -2.5, Number.MAX_VALUE, NaN]),
    big: 2n ** 100n,
    nested: { a: [1, [2, [3, { b: null, u: undefined }]]] },
    node,
  };
}

function checkRich(value: ReturnType<typeof rich>): void {
  expect(value.map).toBeInstanceOf(Map);
  expect(value.map.get('k')).toBe(1);
  expect((value.map.get(2) as { nested: Map<string, bigint>[] }).nested[0].get('deep')).toBe(10n ** 30n);
  expect(value.set).toEqual(new Set([1, 'two', 3n]));
  expect(value.date).toBeInstanceOf(Date);
  expect(value.date.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  expect(value.floats).toBeInstanceOf(Float64Array);
  expect(Array.from(value.floats)).toEqual([0.1, -2.5, Number.MAX_VALUE, NaN]);
  expect(value.big).toBe(2n ** 100n);
  expect(value.nested).toEqual({ a: [1, [2, [3, { b: null, u: undefined }]]] });
  expect(value.node.self).toBe(value.node);
  const child = (value.node.children as { parent: unknown; tags: Set<string> }[])[0];
  expect(child.parent).toBe(value.node);
  expect(child.tags).toEqual(new Set(['a', 'b']));
  expect((value.node.when as Date).getTime()).toBe(Date.parse('2024-02-29T12:00:00Z'));
}

describe('results round-trip through v8 serialisation', () => {
  it('keeps Map, Set, Date, Float64Array, BigInt, nested and circular structures — from disk and from memory', async () => {
    let calls = 0;
    const make = () =>
      cache(
        async function richResult() {
          calls++;
          return rich();
        },
        { dataFolder: data },
      );
    const f = make();
    checkRich(await f()); // miss: the deserialised copy, as a hit
    checkRich(await f()); // memory hit
    const g = make();
    checkRich(await g()); // disk hit (a new function has an empty memory layer)
    expect(calls).toBe(1);
    expect(g.stats().diskHits).toBe(1);
  });

  it('returns the same kind of value on a miss as on a hit: class instances as plain objects, every time', async () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      norm(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const made: Point[] = [];
    const f = cache(
      async function point() {
        made.push(new Point(3, 4));
        return made[0];
      },
      { dataFolder: data },
    );
    const miss = await f();
    expect(miss).not.toBeInstanceOf(Point);
    expect(miss).toEqual({ x: 3, y: 4 });
    expect(miss).not.toBe(made[0]); // the deserialised copy, as a hit gives
    const hit = await f();
    expect(hit).not.toBeInstanceOf(Point);
    expect(hit).toEqual(miss);
  });

  it('compresses a result when it pays and checks its digest on load', async () => {
    const f = cache(
      async function compressible() {
        return 'abc'.repeat(100_000);
      },
      { dataFolder: data, memory: false },
    );
    await f();
    const meta = (await f.inspect())!;
    expect(meta.kind).toBe('function');
    expect(meta.result?.encoding).toBe('v8+gzip');
    expect(meta.result!.size).toBeLessThan(meta.result!.rawSize / 10);
    // A flipped byte is caught on load and the value recomputed, never returned.
    const file = path.join(path.dirname(f.outDir()!), meta.result!.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    rmSync(file, { force: true });
    writeFileSync(file, bytes);
    expect(await f()).toBe('abc'.repeat(100_000));
    expect(f.stats()).toMatchObject({ misses: 2, diskHits: 0 });
  });

  it('stores a result above streamThreshold uncompressed, so loading it needs no second copy', async () => {
    // Plain values (no big typed arrays to stream: see stream.test.ts): 1.2 MB of very compressible strings.
    const big = () => Array.from({ length: 100_000 }, () => 'abcdefghij');
    const f = cache(
      async function largeResult() {
        return big();
      },
      { dataFolder: data, streamThreshold: 1_000_000, memory: false },
    );
    await f();
    const meta = (await f.inspect())!;
    expect(meta.result?.encoding).toBe('v8');
    expect(meta.result!.size).toBeGreaterThan(1_000_000);
    const again = await f();
    expect(again).toHaveLength(100_000);
    expect(again[99_999]).toBe('abcdefghij');
    expect(f.stats().diskHits).toBe(1);
  });
});

describe('outputs in ctx.outDir', () => {
  it('stores what the function writes into ctx.outDir; f.outDir(args) finds it on later calls', async () => {
    let calls = 0;
    const f = cache(
      async function writesFiles({ n }: { n: number }, ctx) {
        calls++;
        await mkdir(path.join(ctx.outDir, 'parts'), { recursive: true });
        await writeFile(path.join(ctx.outDir, 'parts', 'data.bin'), Buffer.alloc(n, 7));
        return { file: 'parts/data.bin', key: ctx.key, task: ctx.task };
      },
      { dataFolder: data },
    );
    const first = await f({ n: 1000 });
    expect(first.task).toBe('writesFiles');
    expect(first.key).toBe(f.key({ n: 1000 }));
    const out = f.outDir({ n: 1000 })!;
    expect(out).toBe(path.join(data, 'cache', 'serialise.test', 'writesFiles', first.key, 'out'));
    expect(readFileSync(path.join(out, first.file))).toEqual(Buffer.alloc(1000, 7));
    const meta = (await f.inspect({ n: 1000 }))!;
    expect(meta.outputs.find((o) => o.path === 'parts/data.bin')?.size).toBe(1000);
    const hit = await f({ n: 1000 });
    expect(existsSync(path.join(f.outDir({ n: 1000 })!, hit.file))).toBe(true);
    expect(calls).toBe(1);
    expect(f.outDir({ n: 5 })).toBeNull();
  });
});
