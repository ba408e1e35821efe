/**
 * key/inputs.ts: what enters a key. Given values go through resolveParams
 * first, as on every door, so "same key" here is "a hit" on the CLI. Cases
 * moved from spawn-per-run e2e tests (run.test.ts "ignores ignored flags,
 * normalises numbers and applies defaults before keying", config.test.ts
 * "keys a dir param by its tree and a keyBy path param by its path") keep one
 * e2e run each there.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../src/config/types.js';
import { DigestCache, sha256 } from '../../src/key/digest.js';
import { computeKey } from '../../src/key/inputs.js';
import { resolveParams } from '../../src/tasks/params.js';
import { taskFromSpec } from '../../src/tasks/task.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cachex-keyinputs-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const write = (rel: string, data: string) => {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  return file;
};

/** The key of `spec` run with `given` flags from `cwd` (default: the project root). */
function keyOf(spec: TaskSpec, given: Record<string, unknown> = {}, cwd = root, name = 't') {
  const task = taskFromSpec(name, spec);
  const params = resolveParams(task.params, { given, cwd });
  return computeKey(task, params, { digests: new DigestCache(null), cwd, projectRoot: root });
}
const key = (...args: Parameters<typeof keyOf>) => keyOf(...args).key;

describe('scalar params (from run.test.ts)', () => {
  const sum: TaskSpec = {
    version: 1,
    params: { a: { type: 'number', default: 1 }, b: { type: 'integer', default: 2 }, note: { type: 'string' } },
    ignore: ['note'],
    run: ({ a, b }: { a: number; b: number }) => a + b,
  };

  it('normalise numbers before keying: 0.1, 0.10 and .1 share a key', () => {
    expect(key(sum, { a: '0.10' })).toBe(key(sum, { a: '0.1' }));
    expect(key(sum, { a: '.1', b: '2', note: 'anything' })).toBe(key(sum, { a: '0.1' }));
  });

  it('apply defaults before keying: omitted and explicit defaults share a key, other values do not', () => {
    expect(key(sum)).toBe(key(sum, { a: '1', b: '2' }));
    expect(key(sum)).not.toBe(key(sum, { a: '0.1' }));
  });

  it('leave ignored params out of the key', () => {
    expect(key(sum, { note: 'one' })).toBe(key(sum, { note: 'two' }));
    expect(keyOf(sum, { note: 'one' }).inputs.params).toEqual({ a: 1, b: 2 });
  });

  const potree: TaskSpec = {
    params: {
      quality: { type: 'enum', choices: ['low', 'high'], default: 'low' },
      verbose: { type: 'boolean', default: false },
    },
    ignore: ['verbose'],
    command: ['/bin/sh', '{out}'],
  };
  it('an ignored boolean and an explicit enum default hit; another enum value misses', () => {
    expect(key(potree, { verbose: true })).toBe(key(potree));
    expect(key(potree, { quality: 'low' })).toBe(key(potree));
    expect(key(potree, { quality: 'high' })).not.toBe(key(potree));
  });
});

describe('what defines the work', () => {
  const base: TaskSpec = { version: 1, params: {}, run: () => 1 };

  it('a version bump, an edited function body and another module each change the key (from run.test.ts)', () => {
    const keys = [
      key(base),
      key({ ...base, version: 2 }),
      key({ ...base, version: '1' }),
      key({ ...base, run: () => 2 }),
      key({ ...base, module: 'other' }),
      key(base, {}, root, 'renamed'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a command task's executable enters by content, not by path (from run.test.ts: a changed converter misses)", () => {
    const tool = write('bin/tool', '#!/bin/sh\necho v1\n');
    chmodSync(tool, 0o755);
    const copy = write('elsewhere/tool', '#!/bin/sh\necho v1\n');
    chmodSync(copy, 0o755);
    const spec: TaskSpec = { params: {}, command: ['tool', '{out}'] };
    const savedPath = process.env.PATH;
    try {
      process.env.PATH = path.dirname(tool);
      const before = keyOf(spec);
      expect(before.inputs.executable).toEqual({ path: tool, digest: sha256('#!/bin/sh\necho v1\n') });
      process.env.PATH = path.dirname(copy); // the same binary found elsewhere on another machine
      expect(key(spec)).toBe(before.key);
      process.env.PATH = path.dirname(tool);
      writeFileSync(tool, '#!/bin/sh\necho v2\n');
      expect(key(spec)).not.toBe(before.key);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('declared env variables and ${VAR} references enter as digests of their values, null when unset', () => {
    const spec: TaskSpec = { params: {}, env: ['CX_UNIT_A'], command: ['/bin/sh', '--q=${CX_UNIT_B}'] };
    const saved = { a: process.env.CX_UNIT_A, b: process.env.CX_UNIT_B };
    try {
      delete process.env.CX_UNIT_A;
      process.env.CX_UNIT_B = 's3cret';
      const { key: unset, inputs } = keyOf(spec);
      expect(inputs.env).toEqual({ CX_UNIT_A: null, CX_UNIT_B: sha256('s3cret') });
      expect(JSON.stringify(inputs)).not.toContain('s3cret');
      process.env.CX_UNIT_A = '';
      expect(key(spec)).not.toBe(unset); // empty is a value, not unset
      process.env.CX_UNIT_B = 'other';
      const changed = key(spec);
      process.env.CX_UNIT_B = 's3cret';
      expect(changed).not.toBe(key(spec));
    } finally {
      for (const [name, value] of [
        ['CX_UNIT_A', saved.a],
        ['CX_UNIT_B', saved.b],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });
});

describe('file and dir params (from config.test.ts)', () => {
  it('a dir param is keyed by its tree: unchanged hits, a file added or changed deep inside misses', () => {
    const spec: TaskSpec = { params: { src: { type: 'dir', required: true } }, run: () => 1 };
    write('src/a.txt', 'a');
    mkdirSync(path.join(root, 'src/sub'), { recursive: true });
    const first = key(spec, { src: 'src' });
    expect(key(spec, { src: 'src' })).toBe(first);
    write('src/sub/b.txt', 'b');
    const added = key(spec, { src: 'src' });
    expect(added).not.toBe(first);
    write('src/sub/b.txt', 'B');
    expect(key(spec, { src: 'src' })).not.toBe(added);
  });

  it('a keyBy path param is keyed by its path: new content hits, another file with that content misses', () => {
    const spec: TaskSpec = { params: { file: { type: 'file', required: true, keyBy: 'path' } }, run: () => 1 };
    write('one.txt', '1');
    const first = key(spec, { file: 'one.txt' });
    write('one.txt', 'changed');
    expect(key(spec, { file: 'one.txt' })).toBe(first);
    write('two.txt', 'changed');
    expect(key(spec, { file: 'two.txt' })).not.toBe(first);
  });

  it('content keys follow the bytes, not the name; both keys by both', () => {
    const byContent: TaskSpec = { params: { file: { type: 'file', required: true } }, run: () => 1 };
    const byBoth: TaskSpec = { params: { file: { type: 'file', required: true, keyBy: 'both' } }, run: () => 1 };
    write('c1.txt', 'same');
    write('c2.txt', 'same');
    expect(key(byContent, { file: 'c2.txt' })).toBe(key(byContent, { file: 'c1.txt' }));
    expect(key(byBoth, { file: 'c2.txt' })).not.toBe(key(byBoth, { file: 'c1.txt' }));
    expect(keyOf(byBoth, { file: 'c1.txt' }).inputs.params.file).toEqual({ path: 'c1.txt', digest: sha256('same') });
  });

  it('a path inside the project is recorded relative to its root (whatever the cwd), one outside as absolute', () => {
    const spec: TaskSpec = { params: { file: { type: 'file', required: true, keyBy: 'path' } }, run: () => 1 };
    write('deep/er/x.txt', 'x');
    expect(keyOf(spec, { file: 'x.txt' }, path.join(root, 'deep/er')).inputs.params.file).toEqual({
      path: 'deep/er/x.txt',
    });
    const outside = mkdtempSync(path.join(tmpdir(), 'cachex-outside-'));
    try {
      writeFileSync(path.join(outside, 'y.txt'), 'y');
      expect(keyOf(spec, { file: path.join(outside, 'y.txt') }).inputs.params.file).toEqual({
        path: path.join(outside, 'y.txt'),
      });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('list params key each item in order', () => {
    const spec: TaskSpec = { params: { file: { type: 'file', list: true } }, run: () => 1 };
    write('l1.txt', '1');
    write('l2.txt', '2');
    const { inputs } = keyOf(spec, { file: ['l1.txt', 'l2.txt'] });
    expect(inputs.params.file).toEqual([{ digest: sha256('1') }, { digest: sha256('2') }]);
    expect(key(spec, { file: ['l2.txt', 'l1.txt'] })).not.toBe(key(spec, { file: ['l1.txt', 'l2.txt'] }));
    expect(keyOf(spec).inputs.params.file).toEqual([]);
  });
});
