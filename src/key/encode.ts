import { sha256 } from './digest.js';

/** JSON with object keys sorted at every depth, so equal inputs encode equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** The key: SHA-256 of the canonical encoding of everything that defines the work. */
/** The last key made: a hit makes its key, then checks that the entry's stored inputs hash to it (the same text). */
let last: { json: string; key: string } | null = null;

export function keyOf(inputs: unknown): string {
  const json = canonicalJson(inputs);
  if (last?.json !== json) last = { json, key: sha256(json) };
  return last.key;
}
