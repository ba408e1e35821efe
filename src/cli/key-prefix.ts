import { UsageError } from '../errors.js';
import type { EntryStore } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import { shortKey } from '../output/format.js';

/** Short enough to type, long enough that a typo rarely lands on another entry (git's default abbreviation is 7). */
export const MIN_PREFIX = 6;
const MAX_LISTED = 8;

/**
 * Checks that `prefix` is hex (so it can never name a path outside the store)
 * of a usable length. Returns it lower-cased.
 */
export function checkKeyPrefix(prefix: string): string {
  if (!/^[0-9a-fA-F]+$/.test(prefix) || prefix.length > 64) {
    throw new UsageError(
      `${JSON.stringify(prefix)} is not a key prefix; give at least ${MIN_PREFIX} hex characters of a key from \`cachex ls\`.`,
    );
  }
  if (prefix.length < MIN_PREFIX) {
    throw new UsageError(
      `The key prefix ${prefix} is too short; give at least ${MIN_PREFIX} hex characters of a key from \`cachex ls\`.`,
    );
  }
  return prefix.toLowerCase();
}

/** The one entry whose key starts with `prefix`; a UsageError naming the candidates when there are none or several. */
export async function resolveKeyPrefix(store: EntryStore, prefix: string): Promise<EntryRef> {
  const wanted = checkKeyPrefix(prefix);
  const refs = (await store.list({ keyPrefix: wanted, withoutSizes: true })).map((entry) => entry.ref);
  if (refs.length === 1) return refs[0];
  if (refs.length === 0)
    throw new UsageError(`No entry has a key starting with ${wanted}; run \`cachex ls\` to see the stored keys.`);
  // Show as many characters as it takes to tell the candidates apart.
  let width = shortKey(refs[0].key).length;
  while (width < 64 && new Set(refs.map((ref) => ref.key.slice(0, width))).size < refs.length) width += 4;
  const listed = refs.slice(0, MAX_LISTED).map((ref) => `${ref.task} ${ref.key.slice(0, width)}`);
  const more = refs.length > MAX_LISTED ? ` and ${refs.length - MAX_LISTED} more` : '';
  throw new UsageError(
    `The key prefix ${wanted} is ambiguous: it matches ${listed.join(', ')}${more}; give more characters.`,
  );
}
