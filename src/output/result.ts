import { util, v8 } from '../lazy-builtins.js';
import { colorEnabled } from './terminal.js';
import { NOT_PLAIN, readPlainValue } from './v8-value.js';

export function decodeValue(bytes: Buffer | null): unknown {
  if (!bytes) return undefined;
  const plain = readPlainValue(bytes); // without node:v8 for plain values (a hit's start)
  return plain === NOT_PLAIN ? v8().deserialize(bytes) : plain;
}

/** How a task's return value is shown on stdout. */
export function formatValue(value: unknown): string {
  return `${util().inspect(value, { depth: null, colors: colorEnabled(process.stdout), maxArrayLength: 100, breakLength: 100 })}\n`;
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
