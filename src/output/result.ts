import { util, v8 } from '../lazy-builtins.js';
import { colorEnabled } from './terminal.js';
import { NOT_PLAIN, readPlainValue } from './v8-value.js';

export function decodeValue(bytes: Buffer | null): unknown {
  if (!bytes) return undefined;
  const plain = readPlainValue(bytes); // without node:v8 for plain values (a hit's start)
  return plain === NOT_PLAIN ? v8().deserialize(bytes) : plain;
}

/**
 * How util.inspect shows a number, boolean, null or undefined without colour: the first
 * inspect() of a process costs a hit most of a millisecond. null for anything else.
 */
function plainPrimitive(value: unknown): string | null {
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return null;
}

/** How a task's return value is shown on stdout. */
export function formatValue(value: unknown): string {
  const colors = colorEnabled(process.stdout);
  const plain = colors ? null : plainPrimitive(value);
  if (plain !== null) return `${plain}\n`;
  return `${util().inspect(value, { depth: null, colors, maxArrayLength: 100, breakLength: 100 })}\n`;
}

/** A JSON form of any v8-serialisable value (Maps, Sets, BigInt, typed arrays). */
export function toJsonValue(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    }),
  );
}
