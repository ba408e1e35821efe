import { spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  openSync,
  readSync,
  closeSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
  chmodSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { REPO } from '../helpers/cli.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-stream-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;

/** The bytes of a typed array: comparing them is one memcmp, where vitest's toEqual walks 500 000 elements. */
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function bigResult() {
  const floats = new Float64Array((4 * MB) / 8).map((_, i) => i * 0.5);
  const bytes = Buffer.alloc(MB, 7);
  const shared = { floats };
  return {
    floats,
    shared,
    again: shared,
    maps: new Map([['bytes', bytes]]),
    set: new Set([new Int32Array(100_000).fill(-3)]),
    small: new Uint8Array([1, 2, 3]),
    label: 'cloud',
    when: new Date(0),
  };
}

function makeCached(counter: { n: number }) {
  return cache(
    () => {
      counter.n++;
      return bigResult();
    },
    { name: 'streamed', dataFolder: data, memory: false, streamThreshold: MB },
  );
}

function resultFile(): string {
  const root = path.join(data, 'cache', 'stream.test', 'streamed');
  const [key] = readdirSync(root);
  return path.join(root, key, 'result.v8c');
}

describe('large results are written and read as a stream', () => {
  it('stores the big typed arrays raw, beside a small skeleton, and reads back the same value', async () => {
    const counter = { n: 0 };
    const f = makeCached(counter);
    await f({});
    const meta = await f.inspect({});
    expect(meta?.result?.encoding).toBe('v8-chunked');
    const arraysBytes = 4 * MB + MB + 400_000;
    expect(statSync(resultFile()).size).toBeGreaterThanOrEqual(arraysBytes);
    expect(statSync(resultFile()).size).toBeLessThan(arraysBytes + 16 * 1024); // no second serialised copy
    const back = (await f({})) as ReturnType<typeof bigResult>;
    expect(counter.n).toBe(1);
    const expected = bigResult();
    expect(back.floats).toBeInstanceOf(Float64Array);
    expect(bytesOf(back.floats).equals(bytesOf(expected.floats))).toBe(true);
    expect(back.shared.floats).toBe(back.floats); // shared references stay shared
    expect(back.again).toBe(back.shared);
    expect(Buffer.isBuffer(back.maps.get('bytes'))).toBe(true);
    expect(back.maps.get('bytes')!.equals(expected.maps.get('bytes')!)).toBe(true);
    const [ints] = [...back.set];
    expect(ints).toBeInstanceOf(Int32Array);
    expect(bytesOf(ints).equals(bytesOf(new Int32Array(100_000).fill(-3)))).toBe(true);
    expect(back.small).toEqual(new Uint8Array([1, 2, 3]));
    expect(back.when).toEqual(new Date(0));
  });

  it.each([
    [
      'a flipped byte in the arrays',
      (file: string) => {
        chmodSync(file, 0o644);
        const fd = openSync(file, 'r+');
        const at = statSync(file).size - 1000;
        const b = Buffer.alloc(1);
        readSync(fd, b, 0, 1, at);
        b[0] ^= 0x10;
        writeSync(fd, b, 0, 1, at);
        closeSync(fd);
      },
    ],
    [
      'a truncated file',
      (file: string) => {
        chmodSync(file, 0o644);
        truncateSync(file, statSync(file).size - 4096);
      },
    ],
  ])('%s is detected and recomputed', async (_what, damage) => {
    const counter = { n: 0 };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const f = makeCached(counter);
      await f({});
      damage(resultFile());
      const back = (await f({})) as ReturnType<typeof bigResult>;
      expect(counter.n).toBe(2);
      expect(bytesOf(back.floats).equals(bytesOf(bigResult().floats))).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(warnings.join('\n')).toMatch(/is corrupt \(result\.v8c: result (digest mismatch|size \d+ differs)/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('keeps peak memory near the result itself when storing and loading (no serialised copy)', () => {
    const run = (threshold: string, data: string) => {
      const result = spawnSync(
        process.execPath,
        [path.join(REPO, 'test', 'fixtures', 'lib-big-result.mjs'), '192', threshold],
        { env: { ...process.env, DATA_FOLDER: data }, encoding: 'utf8' },
      );
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as {
        ok: boolean;
        maxRssKb: number;
        stats: { misses: number; diskHits: number };
      };
    };
    const streamedMiss = run(String(MB), path.join(dir, 's'));
    const streamedHit = run(String(MB), path.join(dir, 's'));
    const serialisedMiss = run(String(2 ** 50), path.join(dir, 'v'));
    expect([streamedMiss.ok, streamedHit.ok, serialisedMiss.ok]).toEqual([true, true, true]);
    expect(streamedHit.stats.diskHits).toBe(1);
    // The serialised path holds the value and its 192 MB serialisation at once; streaming does not.
    expect(serialisedMiss.maxRssKb - streamedMiss.maxRssKb).toBeGreaterThan(128 * 1024);
    expect(streamedHit.maxRssKb).toBeLessThan(192 * 1024 + 160 * 1024);
  });
});
