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
export function keyOf(inputs: unknown): string {
  return sha256(canonicalJson(inputs));
}
