import type { EntryMeta } from '../store/meta.js';

/** How long an entry answers hits; every field in milliseconds, absent = forever. */
export interface Lifetime {
  maxAgeMs?: number;
  /** For entries of failed runs (stored with cacheFailures); falls back to maxAgeMs. */
  failureMaxAgeMs?: number;
  /** Past its max age, an entry still answers at once for this long while it is refreshed. */
  staleMs?: number;
}

export type Freshness = 'fresh' | 'stale' | 'expired';

/** Whether a stored entry may still answer, judged by its `created` time (an unreadable time counts as fresh). */
export function freshness(
  meta: Pick<EntryMeta, 'created' | 'exitCode'>,
  life: Lifetime | undefined,
  now = Date.now(),
): Freshness {
  if (!life) return 'fresh';
  const maxAge = meta.exitCode !== 0 ? (life.failureMaxAgeMs ?? life.maxAgeMs) : life.maxAgeMs;
  const created = Date.parse(meta.created);
  if (maxAge === undefined || !Number.isFinite(created)) return 'fresh';
  const age = now - created;
  if (age <= maxAge) return 'fresh';
  return age <= maxAge + (life.staleMs ?? 0) ? 'stale' : 'expired';
}
