/**
 * The call rule of cached functions — one object of named arguments, as the
 * Python design's keyword-only calls — and the rule for arguments outside the
 * params schema: they enter the key as canonical JSON, so only values that
 * JSON encodes without loss are accepted (anything else could make two
 * different calls share a key).
 */

export const CALL_RULE = 'cached functions take one object of named arguments';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

/** The one argument of a call, checked: none (→ {}) or one plain object. */
export function callArgs(fnName: string, given: unknown[]): Record<string, unknown> {
  if (given.length > 1)
    throw new TypeError(`${fnName}: ${CALL_RULE}, got ${given.length} arguments; pass { name: value, … }.`);
  const args = given[0];
  if (args === undefined) return {};
  if (!isPlainObject(args))
    throw new TypeError(`${fnName}: ${CALL_RULE}, got ${describe(args)}; pass { name: value, … }.`);
  return args;
}

/**
 * Why `value` cannot enter a key, or null when it can: JSON data only
 * (null, booleans, finite numbers, strings, arrays, plain objects).
 */
export function unkeyable(value: unknown, where: string, seen: Set<object> = new Set()): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number')
    return Number.isFinite(value) ? null : `${where} is ${value}, which JSON cannot encode`;
  if (typeof value !== 'object') return `${where} is ${describe(value)}`;
  if (seen.has(value)) return `${where} refers to itself (a circular structure)`;
  if (!Array.isArray(value) && !isPlainObject(value)) return `${where} is ${describe(value)}`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (value[i] === undefined) return `${where}[${i}] is undefined`;
        const why = unkeyable(value[i], `${where}[${i}]`, seen);
        if (why) return why;
      }
      return null;
    }
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue; // an undefined property is an absent one, in JSON as in the key
      const why = unkeyable(v, `${where}.${k}`, seen);
      if (why) return why;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/** What meta.yaml records for an ignored argument that is not JSON data (a logger, a callback). */
export function recordable(value: unknown): unknown {
  return unkeyable(value, 'value') ? `<${describe(value)}>` : value;
}
