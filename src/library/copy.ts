import { deserialize } from 'node:v8';

/** The tag of a host object in v8's format: Node writes every typed array, DataView and Buffer as one. */
const HOST_OBJECT_TAG = 0x5c;

/**
 * A fresh value from serialised bytes. v8's deserializer returns typed arrays
 * and Buffers as views into the bytes it reads (Node's host objects;
 * everything else, ArrayBuffers included, is built anew), so bytes that may
 * hold one are read from a private copy: otherwise a caller writing into a
 * returned Uint8Array would change the bytes held in memory, and every later
 * hit. Bytes without the host-object tag anywhere cannot hold one.
 */
export function fresh(bytes: Buffer): unknown {
  return deserialize(bytes.indexOf(HOST_OBJECT_TAG) === -1 ? bytes : Buffer.from(bytes));
}

/** Deeper than this, a value is copied by the deserializer (a recursive copy could overflow the stack). */
const MAX_DEPTH = 64;
/**
 * With more nodes than this (or an array longer), too: checking a long array's
 * keys would list them all as strings, and the deserializer copies big
 * results as fast as a walk does.
 */
const MAX_NODES = 10_000;

/**
 * Whether `value` is a tree of plain data only: primitives, plain objects
 * (Object.prototype, own enumerable data properties, none named
 * `__proto__`) and dense arrays without extra properties, with no object
 * reached twice (shared or circular structures keep their sharing only
 * through the deserializer), at most MAX_DEPTH deep and MAX_NODES objects
 * (and array items) large. Such a value is what the deserializer makes of
 * it again, node for node.
 */
function isPlainTree(value: unknown, depth: number, seen: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol';
  if (depth > MAX_DEPTH || seen.has(value) || seen.size >= MAX_NODES) return false;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype && Array.isArray(value)) {
    const array = value as unknown[];
    if (array.length > MAX_NODES || Object.keys(array).length !== array.length) return false; // holes or extra properties
    for (let i = 0; i < array.length; i++) {
      if (!Object.hasOwn(array, i) || !isPlainTree(array[i], depth + 1, seen)) return false;
    }
  } else if (proto === Object.prototype) {
    if (Object.getOwnPropertySymbols(value).length > 0) return false;
    const names = Object.getOwnPropertyNames(value);
    for (const name of names) {
      const d = Object.getOwnPropertyDescriptor(value, name)!;
      if (name === '__proto__' || !d.enumerable || !('value' in d) || !isPlainTree(d.value, depth + 1, seen))
        return false;
    }
  } else {
    return false;
  }
  return true;
}

/**
 * The copier of a plain tree (isPlainTree), made once: each call makes new
 * objects and arrays throughout, primitives shared. A node is copied by
 * spread or slice (V8 copies its shape and values at once; five times
 * cheaper than setting the properties one by one), then only the properties
 * that hold objects are replaced by copies of theirs. The master's nodes are
 * never handed out, only copies of them; they stay unfrozen because a
 * frozen object spreads fifteen times slower.
 */
function treeCopier(node: object): () => unknown {
  const names: (string | number)[] = [];
  const copiers: (() => unknown)[] = [];
  const source = node as Record<string | number, unknown>;
  const isArray = Array.isArray(node);
  const add = (name: string | number) => {
    const value = source[name];
    if (typeof value === 'object' && value !== null) {
      names.push(name);
      copiers.push(treeCopier(value));
    }
  };
  if (isArray) for (let i = 0; i < (node as unknown[]).length; i++) add(i);
  else for (const name of Object.keys(node)) add(name);
  const shallow = isArray ? () => (node as unknown[]).slice() : () => ({ ...node });
  if (names.length === 0) return shallow;
  return () => {
    const copy = shallow() as Record<string | number, unknown>;
    for (let i = 0; i < names.length; i++) copy[names[i]!] = copiers[i]!();
    return copy;
  };
}

/**
 * How a memory hit makes the fresh value it returns, chosen once per held
 * result from its deserialised form: a primitive is returned as it is (it
 * cannot be changed); a plain tree is copied node by node from a private master
 * (tenfold cheaper than deserialising, for small results); anything else —
 * Maps, Sets, Dates, typed arrays, class instances made plain, shared or
 * circular structures — is deserialised from the bytes each time. `needsBytes`:
 * whether the copier reads the bytes (otherwise they need not be held).
 */
export function copierOf(bytes: Buffer): { copy: () => unknown; needsBytes: boolean } {
  const master = fresh(bytes);
  if (typeof master !== 'object' || master === null) return { copy: () => master, needsBytes: false };
  if (isPlainTree(master, 0, new Set())) return { copy: treeCopier(master), needsBytes: false };
  return { copy: () => fresh(bytes), needsBytes: true };
}
