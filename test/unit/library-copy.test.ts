/**
 * The memory layer's fresh copies (src/library/copy.ts): whatever way a copy
 * is made — the value itself for a primitive, a node-by-node copy of a private
 * master for plain data, the deserializer otherwise — it is what
 * v8.deserialize makes of the stored bytes, and no two copies share an object.
 */
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { copierOf, fresh } from '../../src/library/copy.js';

/** Every object reachable from `value` (own property values, Map/Set members). */
function objectsOf(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value !== 'object' || value === null || into.has(value)) return into;
  into.add(value);
  if (value instanceof Map)
    for (const [k, v] of value) {
      objectsOf(k, into);
      objectsOf(v, into);
    }
  else if (value instanceof Set) for (const v of value) objectsOf(v, into);
  else if (!ArrayBuffer.isView(value)) for (const name of Object.keys(value)) objectsOf((value as never)[name], into);
  return into;
}

/**
 * Same shape as the deserializer's value: deep equality, prototypes, own property order, array kinds.
 * Returns where the first difference is (undefined when none): one expect per copy, not several per
 * node, which made this file 20 s of the suite (vitest's expect costs tens of µs a call).
 */
function unlikeDeserialized(copy: unknown, expected: unknown, at = '$', seen = new Set<unknown>()): string | undefined {
  if (!isDeepStrictEqual(copy, expected)) return `${at}: not deep-equal`;
  if (typeof expected !== 'object' || expected === null)
    return Object.is(copy, expected) ? undefined : `${at}: not the same value`;
  if (seen.has(expected)) return undefined;
  seen.add(expected);
  if (Object.getPrototypeOf(copy) !== Object.getPrototypeOf(expected)) return `${at}: another prototype`;
  if (Object.isFrozen(copy)) return `${at}: frozen`;
  if (expected instanceof Map || expected instanceof Set || ArrayBuffer.isView(expected)) return undefined;
  if (!isDeepStrictEqual(Object.keys(copy as object), Object.keys(expected))) return `${at}: other keys or key order`;
  for (const name of Object.keys(expected)) {
    const found = unlikeDeserialized((copy as never)[name], (expected as never)[name], `${at}.${name}`, seen);
    if (found) return found;
  }
  return undefined;
}

function expectLikeDeserialized(copy: unknown, expected: unknown): void {
  expect(unlikeDeserialized(copy, expected)).toBeUndefined();
}

const deep = (n: number): unknown => (n === 0 ? { leaf: true } : { next: deep(n - 1) });
const shared = { s: 1 };
const circular: Record<string, unknown> = { name: 'loop' };
circular.self = circular;
const holey: number[] = [1, 2, 3];
delete holey[1]; // a hole
const withExtra = Object.assign([1, 2], { extra: 'x' });
const protoKey = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');

const CASES: [string, unknown, 'value' | 'tree' | 'deserialized'][] = [
  ['a number', 42, 'value'],
  ['minus zero', -0, 'value'],
  ['NaN', Number.NaN, 'value'],
  ['a string', 'tile-7', 'value'],
  ['null', null, 'value'],
  ['undefined', undefined, 'value'],
  ['a boolean', false, 'value'],
  ['a BigInt', 2n ** 70n, 'value'],
  ['plain nested data', { points: 1, bbox: [0, 0, 1.5], name: 'x', tags: ['a', { b: null, u: undefined }] }, 'tree'],
  ['integer-like keys (their order)', { b: 1, 2: 'two', a: 3, 1: 'one' }, 'tree'],
  ['an empty object and array', { o: {}, a: [] }, 'tree'],
  ['minus zero inside', { z: -0, list: [-0, Number.NaN] }, 'tree'],
  ['64 levels deep', deep(60), 'tree'],
  ['100 levels deep', deep(100), 'deserialized'],
  [
    'a long array (copied by the deserializer, not walked)',
    Array.from({ length: 20_000 }, (_, i) => i),
    'deserialized',
  ],
  ['many small objects', Array.from({ length: 3000 }, (_, i) => ({ i })), 'tree'],
  ['more objects than a walk takes', Array.from({ length: 9000 }, (_, i) => ({ i, o: { i } })), 'deserialized'],
  ['a sparse array', holey, 'deserialized'],
  ['an array with an extra property', withExtra, 'deserialized'],
  ['an own "__proto__" key', protoKey, 'deserialized'],
  ['a shared object', { a: shared, b: shared }, 'deserialized'],
  ['a circular object', circular, 'deserialized'],
  ['a Map', new Map([[1, { x: 1 }]]), 'deserialized'],
  ['a Set inside', { s: new Set(['a']) }, 'deserialized'],
  ['a Date', { when: new Date(0) }, 'deserialized'],
  ['typed arrays', { u: new Uint8Array([1, 2]), f: new Float64Array([1.5]), b: Buffer.from('ab') }, 'deserialized'],
  ['an ArrayBuffer', { ab: new Uint8Array([7, 8]).buffer }, 'deserialized'],
  ['a boxed string', { s: new String('x') }, 'deserialized'],
  ['a RegExp', { r: /a+/g }, 'deserialized'],
];

describe('fresh copies of a held result', () => {
  for (const [what, value, how] of CASES) {
    it(`${what}: each copy is what v8.deserialize gives, made ${how === 'value' ? 'as the value itself' : how === 'tree' ? 'from a private master' : 'by the deserializer'}`, () => {
      const bytes = serialize(value);
      const expected = deserialize(serialize(value));
      const { copy, needsBytes } = copierOf(Buffer.from(bytes));
      expect(needsBytes).toBe(how === 'deserialized');
      const first = copy();
      const second = copy();
      expectLikeDeserialized(first, expected);
      expectLikeDeserialized(second, expected);
      // No object is shared between two copies (sharing inside one copy is kept by the deserializer).
      const a = objectsOf(first);
      expect([...objectsOf(second)].filter((o) => a.has(o))).toEqual([]);
      if (what === 'a shared object') expect((first as { a: object; b: object }).a).toBe((first as { b: object }).b);
      if (what === 'a circular object') expect((first as { self: unknown }).self).toBe(first);
    });
  }

  it('a copy changed by its caller changes no later copy', () => {
    const { copy } = copierOf(serialize({ list: [1, 2], inner: { n: 1 } }));
    const first = copy() as { list: number[]; inner: { n: number } };
    first.list.push(3);
    first.inner.n = 99;
    expect(copy()).toEqual({ list: [1, 2], inner: { n: 1 } });
  });

  it('typed arrays of a copy share no memory with the held bytes, nor with another copy', () => {
    const bytes = serialize({ u: new Uint8Array([1, 2, 3]) });
    const held = Buffer.from(bytes);
    const { copy } = copierOf(held);
    const first = copy() as { u: Uint8Array };
    first.u[0] = 99;
    expect(held.equals(bytes)).toBe(true);
    expect(Array.from((copy() as { u: Uint8Array }).u)).toEqual([1, 2, 3]);
    const direct = fresh(held) as { u: Uint8Array };
    direct.u[1] = 98;
    expect(held.equals(bytes)).toBe(true);
  });
});
