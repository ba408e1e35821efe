/**
 * Values remembered per argument set of primitives: a trie of Maps, names and
 * values in turn, so a lookup allocates nothing (a fingerprint string per call
 * cost five times as much). Only sets whose values are all primitives are
 * kept: an object could change between calls.
 */

/** Ends a set (names are strings, so a symbol cannot be one). */
const END = Symbol('end');
/** Stands for -0, which a Map takes for 0: the key cannot tell them apart, but the function can. */
const MINUS_ZERO = Symbol('-0');

type Level = Map<unknown, unknown>;

function keepable(value: unknown): boolean {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'boolean' || type === 'undefined';
}

export class ArgSets<V extends {}> {
  private root: Level = new Map();
  private count = 0;

  /** @param limit how many sets are kept; past it they are all forgotten at once. */
  constructor(private readonly limit: number) {}

  /** The value of exactly this set: same names in the same order, same values (Object.is), else undefined. */
  get(args: Record<string, unknown>): V | undefined {
    let level: Level | undefined = this.root;
    // for…in also walks inherited enumerable names: a superset of what a call reads, so never too coarse.
    for (const name in args) {
      let value = args[name];
      if (value === 0 && Object.is(value, -0)) value = MINUS_ZERO;
      // An object is never a key here (set() keeps none), so a set holding one is not found.
      level = (level.get(name) as Level | undefined)?.get(value) as Level | undefined;
      if (level === undefined) return undefined;
    }
    return level.get(END) as V | undefined;
  }

  /** Keeps `value` for this set, unless a value of it is not a primitive. */
  set(args: Record<string, unknown>, value: V): void {
    for (const name in args) if (!keepable(args[name])) return;
    if (this.count >= this.limit && this.get(args) === undefined) this.clear();
    let level = this.root;
    for (const name in args) {
      let arg = args[name];
      if (arg === 0 && Object.is(arg, -0)) arg = MINUS_ZERO;
      let values = level.get(name) as Level | undefined;
      if (values === undefined) level.set(name, (values = new Map()));
      let next = values.get(arg) as Level | undefined;
      if (next === undefined) values.set(arg, (next = new Map()));
      level = next;
    }
    if (!level.has(END)) this.count++;
    level.set(END, value);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.root = new Map();
    this.count = 0;
  }
}
