/** key/encode.ts: the canonical encoding every key is the SHA-256 of. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, keyOf } from '../../src/key/encode.js';
import { KEY_FORMAT, keyOfInputs, type KeyInputs } from '../../src/key/inputs.js';

describe('canonical JSON', () => {
  it('sorts object keys at every depth, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops undefined properties, so an absent and an undefined property encode alike', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('keeps types apart: 1, "1", true and null differ', () => {
    const encodings = [1, '1', true, null, [1], { 1: 1 }].map(canonicalJson);
    expect(new Set(encodings).size).toBe(encodings.length);
  });

  it('encodes unicode strings and keys as JSON does', () => {
    expect(canonicalJson({ é: '点云 🚀', '"': '\n' })).toBe('{"\\"":"\\n","é":"点云 🚀"}');
  });
});

describe('keys', () => {
  it('are the SHA-256 hex of the canonical encoding', () => {
    const value = { z: [1, 2], a: 'x' };
    expect(keyOf(value)).toBe(createHash('sha256').update('{"a":"x","z":[1,2]}').digest('hex'));
    expect(keyOf({ a: 'x', z: [1, 2] })).toBe(keyOf(value));
  });

  const inputs: KeyInputs = {
    format: KEY_FORMAT,
    module: 'tasks',
    task: 'potree',
    kind: 'command',
    version: null,
    command: ['conv', '{file}'],
    executable: { path: '/usr/bin/conv', digest: 'a'.repeat(64) },
    params: { file: { digest: 'b'.repeat(64) } },
    env: {},
  };

  it("hash the executable's digest but not its path: moving the same binary keeps its entries", () => {
    const moved = { ...inputs, executable: { path: '/opt/bin/conv', digest: 'a'.repeat(64) } };
    expect(keyOfInputs(moved)).toBe(keyOfInputs(inputs));
    const rebuilt = { ...inputs, executable: { path: '/usr/bin/conv', digest: 'c'.repeat(64) } };
    expect(keyOfInputs(rebuilt)).not.toBe(keyOfInputs(inputs));
  });

  it('change with the key format, so entries of an older encoding are never mistaken for new ones', () => {
    expect(keyOfInputs({ ...inputs, format: KEY_FORMAT + 1 })).not.toBe(keyOfInputs(inputs));
  });
});
