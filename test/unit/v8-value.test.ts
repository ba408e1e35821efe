import { deserialize, serialize } from 'node:v8';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/output/result.js';
import { NOT_PLAIN, readPlainValue } from '../../src/output/v8-value.js';

/** The same value, shown the same way: what a hit prints must not depend on which reader read it. */
function same(a: unknown, b: unknown): void {
  expect(inspect(a, { depth: null, showHidden: true })).toBe(inspect(b, { depth: null, showHidden: true }));
  expect(a).toStrictEqual(b);
}

const PLAIN: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  42,
  2 ** 30,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  2 ** 32 + 0.5,
  Number.MAX_SAFE_INTEGER,
  1.5,
  -1e-300,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'hello',
  'café',
  'ÿ',
  'snow ☃ and 𝄞',
  'x'.repeat(10_000),
  [],
  [1, 'two', null, [3, [4]]],
  {},
  { twice: 42 },
  { a: 1, b: { c: [true, false, { d: 'é☃' }] }, '': 'empty key', 'key with ☃': 2 },
  { 1: 'one', 10: 'ten', x: 'x', '-1': 'minus', 4294967295: 'big' },
  Array.from({ length: 300 }, (_, i) => ({ i, s: `item ${i}` })),
];

const NOT_PLAIN_VALUES: unknown[] = [
  new Map([[1, 2]]),
  new Set([1]),
  new Date(0),
  10n,
  /re/g,
  Buffer.from('bytes'),
  new Uint8Array([1, 2]),
  new Error('boom'),
  (() => {
    const holey = [1, 2, 3];
    delete holey[1]; // a hole
    return holey;
  })(),
  Object.assign([1, 2], { extra: true }),
  JSON.parse('{"__proto__": {"polluted": true}}'),
  (() => {
    const shared = { s: 1 };
    return { a: shared, b: shared };
  })(),
  (() => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    return loop;
  })(),
  new String('boxed'),
];

describe('plain values of a stored result are read without node:v8', () => {
  it('reads every plain value as v8.deserialize does', () => {
    for (const value of PLAIN) {
      const bytes = serialize(value);
      const read = readPlainValue(bytes);
      expect(read, inspect(value).slice(0, 80)).not.toBe(NOT_PLAIN);
      same(read, deserialize(bytes));
    }
  });

  it('leaves everything else to v8.deserialize, and decodeValue still gives the same value', () => {
    for (const value of NOT_PLAIN_VALUES) {
      const bytes = serialize(value);
      expect(readPlainValue(bytes), inspect(value)).toBe(NOT_PLAIN);
      same(decodeValue(bytes), deserialize(bytes));
    }
    for (const value of PLAIN) same(decodeValue(serialize(value)), deserialize(serialize(value)));
  });

  it('gives NOT_PLAIN, never a wrong value, for damaged or foreign bytes', () => {
    const good = serialize({ a: [1, 'two'], b: 'three' });
    expect(readPlainValue(Buffer.alloc(0))).toBe(NOT_PLAIN);
    expect(readPlainValue(Buffer.from([0xff, 0x63, 0x49, 0x02]))).toBe(NOT_PLAIN); // another version
    for (let n = 0; n < good.length; n++) expect(readPlainValue(good.subarray(0, n)), `cut at ${n}`).toBe(NOT_PLAIN);
    expect(readPlainValue(Buffer.concat([good, Buffer.from([0x30])]))).toBe(NOT_PLAIN); // trailing bytes
  });
});

describe("a result's words on stdout", () => {
  it('are what util.inspect says, also where the primitives skip it', async () => {
    const { formatValue } = await import('../../src/output/result.js');
    for (const value of [...PLAIN, ...NOT_PLAIN_VALUES, 0.1 + 0.2, 1e21, -1e-7, 2 ** 53, Number.NEGATIVE_INFINITY]) {
      expect(formatValue(value)).toBe(
        `${inspect(value, { depth: null, colors: false, maxArrayLength: 100, breakLength: 100 })}\n`,
      );
    }
  });
});
