import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache, UsageError } from '../../src/index.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-lib-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cache(fn): keys and calls', () => {
  it('computes once for the same arguments, again for different ones', async () => {
    let calls = 0;
    const add = cache(
      async ({ a, b }: { a: number; b: number }) => {
        calls++;
        return a + b;
      },
      {
        name: 'add',
        dataFolder: data,
        memory: false,
      },
    );
    expect(await add({ a: 1, b: 2 })).toBe(3);
    expect(await add({ a: 1, b: 2 })).toBe(3);
    expect(calls).toBe(1);
    expect(await add({ a: 2, b: 2 })).toBe(4);
    expect(calls).toBe(2);
    // Key order of the argument object does not matter.
    expect(await add({ b: 2, a: 1 })).toBe(3);
    expect(calls).toBe(2);
  });

  it('does not recompute when only an ignored argument changes, and the function still receives it', async () => {
    const seen: unknown[] = [];
    const f = cache(
      async function scaled({ x, debug }: { x: number; debug: boolean }) {
        seen.push(debug);
        return x * 2;
      },
      { dataFolder: data, ignore: ['debug'] },
    );
    expect(await f({ x: 2, debug: false })).toBe(4);
    expect(await f({ x: 2, debug: true })).toBe(4);
    expect(seen).toEqual([false]);
    expect(f.key({ x: 2, debug: true })).toBe(f.key({ x: 2, debug: false }));
  });

  it('gives an omitted argument and its explicit default the same key', async () => {
    let calls = 0;
    const f = cache(
      async function withDefaults({ x, resolution }: { x: number; resolution: number }) {
        calls++;
        return x * resolution;
      },
      { dataFolder: data, defaults: { resolution: 0.1 }, memory: false },
    );
    expect(f.key({ x: 1 })).toBe(f.key({ x: 1, resolution: 0.1 }));
    expect(f.key({ x: 1, resolution: undefined })).toBe(f.key({ x: 1, resolution: 0.1 }));
    expect(f.key({ x: 1 })).not.toBe(f.key({ x: 1, resolution: 0.2 }));
    await f({ x: 1 });
    await f({ x: 1, resolution: 0.1 });
    expect(calls).toBe(1);
  });

  it('applies schema defaults and normalisation before keying (params as in config tasks)', async () => {
    const f = cache(
      async function typed({ n, mode }: { n: number; mode: string }) {
        return `${mode}:${n}`;
      },
      {
        dataFolder: data,
        params: { n: { type: 'number', required: true }, mode: { type: 'enum', choices: ['a', 'b'], default: 'a' } },
      },
    );
    expect(f.key({ n: '0.10' as unknown as number })).toBe(f.key({ n: 0.1, mode: 'a' }));
    expect(await f({ n: 2 })).toBe('a:2');
    await expect(f({ n: 'abc' as unknown as number })).rejects.toThrow(/argument "n" expects a number/);
    await expect(f({ n: 1, mode: 'c' })).rejects.toThrow(UsageError);
    await expect(f({} as { n: number })).rejects.toThrow(/typed\(\) needs the argument "n"/);
  });

  it('keys a file param by content, not path', async () => {
    const file = path.join(dir, 'in.txt');
    writeFileSync(file, 'one');
    let calls = 0;
    const f = cache(
      async function readIt({ input }: { input: string }) {
        calls++;
        return path.isAbsolute(input);
      },
      { dataFolder: data, params: { input: { type: 'file', required: true } }, memory: false },
    );
    expect(await f({ input: file })).toBe(true);
    const k1 = f.key({ input: file });
    writeFileSync(file, 'two');
    expect(f.key({ input: file })).not.toBe(k1);
    await f({ input: file });
    expect(calls).toBe(2);
    const copy = path.join(dir, 'copy.txt');
    writeFileSync(copy, 'two');
    expect(f.key({ input: copy })).toBe(f.key({ input: file }));
  });

  it('make({ force: true }) recomputes and replaces the entry', async () => {
    let calls = 0;
    const f = cache(
      async function counter({ id }: { id: string }) {
        calls++;
        return `${id}-${calls}`;
      },
      { dataFolder: data },
    );
    expect(await f({ id: 'a' })).toBe('a-1');
    expect(await f.make({ force: true, id: 'a' })).toBe('a-2');
    expect(calls).toBe(2);
    // Memory and disk now hold the new result.
    expect(await f({ id: 'a' })).toBe('a-2');
    const fresh = cache(
      async function counter({ id }: { id: string }) {
        calls++;
        return `${id}-${calls}`;
      },
      { dataFolder: data },
    );
    expect(await fresh({ id: 'a' })).toBe('a-2');
    // make without force is a plain call.
    expect(await f.make({ id: 'a' })).toBe('a-2');
    expect(calls).toBe(2);
  });

  it('changes the key when the version or the function source changes', () => {
    const v1 = cache(
      async function job({ x }: { x: number }) {
        return x;
      },
      { dataFolder: data, version: 1 },
    );
    const v2 = cache(
      async function job({ x }: { x: number }) {
        return x;
      },
      { dataFolder: data, version: 2 },
    );
    const edited = cache(
      async function job({ x }: { x: number }) {
        return x + 0;
      },
      { dataFolder: data, version: 1 },
    );
    expect(v1.key({ x: 1 })).not.toBe(v2.key({ x: 1 }));
    expect(v1.key({ x: 1 })).not.toBe(edited.key({ x: 1 }));
  });

  it('defaults module to the calling file name and name to the function name', async () => {
    const f = cache(
      async function namedJob() {
        return 1;
      },
      { dataFolder: data },
    );
    expect(f.module).toBe('cache.test');
    expect(f.taskName).toBe('namedJob');
    await f();
    expect(existsSync(path.join(data, 'cache', 'cache.test', 'namedJob', f.key()))).toBe(true);
  });

  it('supports cache(options)(fn)', async () => {
    const wrap = cache({ name: 'curried', module: 'mine', dataFolder: data });
    const f = wrap(async ({ x }: { x: number }) => x + 1);
    expect(await f({ x: 1 })).toBe(2);
    expect(existsSync(path.join(data, 'cache', 'mine', 'curried'))).toBe(true);
  });

  it('uses DATA_FOLDER from the environment by default', async () => {
    const before = process.env.DATA_FOLDER;
    process.env.DATA_FOLDER = data;
    try {
      const f = cache(async function envJob() {
        return 'x';
      });
      await f();
      expect(f.outDir()).toBe(path.join(data, 'cache', 'cache.test', 'envJob', f.key(), 'out'));
    } finally {
      if (before === undefined) delete process.env.DATA_FOLDER;
      else process.env.DATA_FOLDER = before;
    }
  });
});

describe('cache(fn): the call rule and bad options', () => {
  const f = () =>
    cache(
      async function rule(args: { x?: number }) {
        return args.x;
      },
      { dataFolder: data },
    );

  it('rejects anything but one plain object with a TypeError naming the rule', async () => {
    const g = f() as unknown as (...args: unknown[]) => Promise<unknown>;
    for (const bad of [[1], ['x'], [null], [[1, 2]], [new Map()], [new Date()], [{ x: 1 }, { y: 2 }]]) {
      await expect(g(...bad)).rejects.toThrow(TypeError);
      await expect(g(...bad)).rejects.toThrow(/cached functions take one object of named arguments/);
    }
    expect(() => (f().key as (...a: unknown[]) => string)(5)).toThrow(/one object of named arguments/);
    expect(await g()).toBeUndefined();
  });

  it('rejects argument values that cannot enter the key', async () => {
    const g = cache(
      async function anyArgs(_args: Record<string, unknown>) {
        return 1;
      },
      { dataFolder: data },
    );
    for (const bad of [() => 1, new Date(), new Map(), 10n, NaN, Symbol('s'), [undefined], { deep: { fn: () => 1 } }]) {
      await expect(g({ v: bad })).rejects.toThrow(TypeError);
    }
    await expect(g({ v: () => 1 })).rejects.toThrow(/the argument "v" is a function, which cannot enter the key/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(g({ v: circular })).rejects.toThrow(/circular/);
    // JSON data of any depth is fine, and an ignored argument may be anything.
    expect(await g({ v: { a: [1, 'two', null, { b: true }] } })).toBe(1);
    const h = cache(
      async function withLogger({ log }: { x: number; log: (s: string) => void }) {
        log('ran');
        return 2;
      },
      { dataFolder: data, ignore: ['log'] },
    );
    const lines: string[] = [];
    expect(await h({ x: 1, log: (s) => lines.push(s) })).toBe(2);
    expect(lines).toEqual(['ran']);
    expect((await h.inspect({ x: 1, log: () => undefined }))?.params.log).toEqual({
      value: '<a function>',
      ignored: true,
    });
  });

  it('needs a name for an anonymous function and checks its options', () => {
    expect(() => cache(async () => 1)).toThrow(TypeError);
    expect(() => cache(async () => 1)).toThrow(/anonymous function needs a name/);
    expect(() =>
      cache(
        async function ok() {
          return 1;
        },
        { name: '../evil' },
      ),
    ).toThrow(TypeError);
    expect(() =>
      cache(
        async function ok() {
          return 1;
        },
        { ignored: ['x'] } as never,
      ),
    ).toThrow(/unknown option "ignored" \(did you mean "ignore"\?\)/);
    expect(() =>
      cache(
        async function ok() {
          return 1;
        },
        { params: { x: { type: 'float' } } } as never,
      ),
    ).toThrow(TypeError);
    expect(() => cache(42 as never)).toThrow(TypeError);
  });
});

describe('cache(fn): failures', () => {
  it('stores nothing when the function throws, passes the error on and releases the lock', async () => {
    let calls = 0;
    const f = cache(
      async function flaky({ x }: { x: number }) {
        calls++;
        if (calls === 1) throw new Error('boom');
        return x;
      },
      { dataFolder: data },
    );
    await expect(f({ x: 1 })).rejects.toThrow('boom');
    expect(await f.inspect({ x: 1 })).toBeNull();
    // The lock was released and staging dropped: the next call runs and stores.
    expect(await f({ x: 1 })).toBe(1);
    expect(calls).toBe(2);
    expect(readdirSync(path.join(data, 'tmp'))).toEqual([]);
  });

  it('returns an unserialisable result with a warning and stores nothing', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      let calls = 0;
      const f = cache(
        async function makesFn() {
          calls++;
          return { run: () => 42 };
        },
        { dataFolder: data },
      );
      const value = await f();
      expect(value.run()).toBe(42);
      expect(await f.inspect()).toBeNull();
      await f();
      expect(calls).toBe(2);
      await new Promise((r) => setImmediate(r));
      expect(warnings[0]).toMatch(
        /^makesFn was computed and returned but not stored, because the result cannot be serialised/,
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('clear() removes every entry of the function and its memory', async () => {
    let calls = 0;
    const f = cache(
      async function clearable({ x }: { x: number }) {
        calls++;
        return x;
      },
      { dataFolder: data },
    );
    const other = cache(
      async function keeper() {
        return 0;
      },
      { dataFolder: data },
    );
    await f({ x: 1 });
    await f({ x: 2 });
    await other();
    expect(await f.clear()).toBe(2);
    expect(f.stats().entriesInMemory).toBe(0);
    expect(existsSync(path.join(data, 'cache', 'cache.test', 'clearable', f.key({ x: 1 })))).toBe(false);
    expect(await other.inspect()).not.toBeNull();
    await f({ x: 1 });
    expect(calls).toBe(3);
  });
});
