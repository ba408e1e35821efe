/**
 * The per-call shortcuts of the library (issue 14, item 4) skip work, never
 * checks: a remembered key follows whatever it depends on, a remembered
 * meta.yaml parse is used only for byte-identical bytes, and an empty log is
 * checked with a stat.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';

let dir: string;
let data: string;
let savedDataFolder: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-shortcuts-'));
  data = path.join(dir, 'data');
  savedDataFolder = process.env.DATA_FOLDER;
});
afterEach(() => {
  if (savedDataFolder === undefined) delete process.env.DATA_FOLDER;
  else process.env.DATA_FOLDER = savedDataFolder;
  rmSync(dir, { recursive: true, force: true });
});

const entryOf = (outDir: string | null) => path.dirname(outDir!);

describe('a remembered key', () => {
  it('follows DATA_FOLDER: set after the first call, the next call uses the new store', async () => {
    let calls = 0;
    const f = cache(async function whereAmI({ n }: { n: number }) {
      calls++;
      return n;
    });
    process.env.DATA_FOLDER = path.join(dir, 'a');
    expect(await f({ n: 1 })).toBe(1);
    expect(await f({ n: 1 })).toBe(1);
    expect(calls).toBe(1);
    process.env.DATA_FOLDER = path.join(dir, 'b');
    expect(await f({ n: 1 })).toBe(1); // another store: computed there
    expect(calls).toBe(2);
    expect(f.outDir({ n: 1 })!.startsWith(path.join(dir, 'b'))).toBe(true);
    process.env.DATA_FOLDER = path.join(dir, 'a');
    expect(await f({ n: 1 })).toBe(1);
    expect(calls).toBe(2);
    expect(f.outDir({ n: 1 })!.startsWith(path.join(dir, 'a'))).toBe(true);
  });

  it('is not kept for file params: a changed file is a new key', async () => {
    const input = path.join(dir, 'in.txt');
    writeFileSync(input, 'one');
    let calls = 0;
    const f = cache(
      async function readIt({ file }: { file: string }) {
        calls++;
        return readFileSync(file, 'utf8');
      },
      { dataFolder: data, memory: false, params: { file: { type: 'file' } } },
    );
    expect(await f({ file: input })).toBe('one');
    expect(await f({ file: input })).toBe('one');
    writeFileSync(input, 'two!');
    expect(await f({ file: input })).toBe('two!');
    expect(calls).toBe(2);
  });

  it('hands the function an arguments object of its own each call', async () => {
    const seen: unknown[] = [];
    const f = cache(
      async function mutates(args: { n: number; extra?: string }) {
        seen.push({ ...args });
        (args as Record<string, unknown>).extra = 'changed';
        return args.n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    await f.make({ n: 1, force: true });
    await f({ n: 2 });
    await f({ n: 1 }); // a hit: the function does not run
    await f.make({ n: 1, force: true });
    expect(seen).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }, { n: 1 }]);
  });

  it('keeps argument sets apart whose text would read alike', async () => {
    const f = cache(
      async function pair(args: { a?: unknown; b?: unknown }) {
        return JSON.stringify(args);
      },
      { dataFolder: data },
    );
    expect(await f({ a: '1' })).toBe('{"a":"1"}');
    expect(await f({ a: 1 })).toBe('{"a":1}');
    expect(await f({ a: null })).toBe('{"a":null}');
    expect(await f({ a: 'x', b: 'y' })).toBe('{"a":"x","b":"y"}');
    expect(await f({ a: 'x\u00001:by' })).toBe('{"a":"x\\u00001:by"}');
    expect(f.key({ a: '1' })).not.toBe(f.key({ a: 1 }));
  });

  it('hands the function -0 when called with -0 after 0: one key for both (as without remembered keys)', async () => {
    const seen: boolean[] = [];
    const f = cache(
      async function sign({ x }: { x: number }) {
        seen.push(Object.is(x, -0));
        return x;
      },
      { dataFolder: data },
    );
    await f({ x: 0 });
    await f.clear(); // the entry goes; the remembered key of { x: 0 } stays
    expect(Object.is(await f({ x: -0 }), -0)).toBe(true);
    expect(seen).toEqual([false, true]);
    // The key encodes numbers as JSON, which writes -0 as 0: the two calls share an entry, in memory as on disk.
    expect(f.key({ x: -0 })).toBe(f.key({ x: 0 }));
    expect(Object.is(await f({ x: 0 }), -0)).toBe(true);
    expect(f.stats()).toMatchObject({ misses: 2, memoryHits: 1 });
    const g = cache(
      async function sign({ x }: { x: number }) {
        seen.push(Object.is(x, -0));
        return x;
      },
      { dataFolder: data, memory: false, module: f.module },
    );
    expect(Object.is(await g({ x: 0 }), -0)).toBe(true);
    expect(g.stats()).toMatchObject({ misses: 0, diskHits: 1 });
  });
});

describe('disk hits in one process', () => {
  it('catch a meta.yaml changed between two hits (its parse is reused only for the same bytes)', async () => {
    let calls = 0;
    const f = cache(
      async function metaWatch({ n }: { n: number }) {
        calls++;
        return n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    expect(await f({ n: 1 })).toBe(1);
    const meta = path.join(entryOf(f.outDir({ n: 1 })), 'meta.yaml');
    chmodSync(meta, 0o644);
    writeFileSync(meta, readFileSync(meta, 'utf8').replace('exitCode: 0', 'exitCode: 1'));
    expect(await f({ n: 1 })).toBe(1); // (warns: corrupt, recomputed)
    expect(calls).toBe(2);
    expect(f.stats()).toMatchObject({ diskHits: 1, misses: 2 });
  });

  it('catch an empty log that is no longer empty', async () => {
    let calls = 0;
    const f = cache(
      async function quiet({ n }: { n: number }) {
        calls++;
        return n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    await f({ n: 1 });
    const stdout = path.join(entryOf(f.outDir({ n: 1 })), 'stdout.log');
    expect(readFileSync(stdout)).toHaveLength(0);
    writeFileSync(stdout, 'planted\n');
    await f({ n: 1 });
    expect(calls).toBe(2);
    rmSync(stdout);
    await f({ n: 1 });
    expect(calls).toBe(3);
  });

  it('catch a file planted in an output folder whose listing was remembered (its stamp then changes)', async () => {
    let calls = 0;
    const f = cache(
      async function listed({ n }: { n: number }, ctx) {
        calls++;
        mkdirSync(path.join(ctx.outDir, 'sub'));
        writeFileSync(path.join(ctx.outDir, 'sub', 'a.txt'), String(n));
        return n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    const out = f.outDir({ n: 1 })!;
    // A folder changed less than a second ago is listed on every hit (its stamp could still change unseen):
    // wait until both folders are older, so the next hit remembers their listings.
    const aged = async (folders: string[]) => {
      const end = Date.now() + 20_000;
      for (const folder of folders)
        while (Date.now() - Math.max(statSync(folder).mtimeMs, statSync(folder).ctimeMs) <= 1100) {
          if (Date.now() > end) throw new Error('the folders never aged');
          await new Promise((r) => setTimeout(r, 50));
        }
    };
    await aged([out, path.join(out, 'sub')]);
    await f({ n: 1 });
    await f({ n: 1 }); // answered with one lstat per folder
    expect(calls).toBe(1);
    // Root writes into the read-only folder as it is (a chmod would change the stamp by itself).
    if (process.getuid?.() !== 0) chmodSync(path.join(out, 'sub'), 0o755);
    writeFileSync(path.join(out, 'sub', 'planted.txt'), 'x');
    await aged([path.join(out, 'sub')]); // no longer recent: only the changed stamp tells
    expect(await f({ n: 1 })).toBe(1); // (warns: corrupt, recomputed)
    expect(calls).toBe(2);
    expect(f.stats()).toMatchObject({ diskHits: 2, misses: 2 });
  });
});
