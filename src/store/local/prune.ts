import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CachexError, storeErrorFrom } from '../../errors.js';
import { isLockHeld, lockedTargetsIn, tryAcquireKeyLock } from '../../lock/key-lock.js';
import { describeEntry, dropEmptySummaries, listEntries, type CatalogEntry } from './catalog.js';
import { ENTRY_FILES, type EntryRef, type Layout } from '../layout.js';
import { checkSizes } from './load.js';
import { removeEntry } from './remove.js';
import { findLeftovers, removeLeftovers, type Leftover } from './sweep.js';
import { countTakeOver, recordRecovery } from './recovery.js';
import { type DigestTrim, trimDigestCache } from '../../key/digest-records.js';

/**
 * A hit reads the entry's outputs (for --out/--publish) after it appended to
 * usage.log, without holding the key lock: an entry hit this recently may be
 * being read right now, so only --all removes it.
 */
export const RECENT_USE_MS = 60_000;

/** What the user asked to remove. With none of these set, prune only sweeps. */
export interface PruneSelectors {
  /** Created more than this long ago. */
  olderThanMs?: number;
  /** Last used (last hit, else created) more than this long ago. */
  unusedForMs?: number;
  /** Remove least recently used entries until the entries in scope take at most this many bytes. */
  maxSizeBytes?: number;
  /** Remove least recently used entries until this many bytes are freed (leftovers swept count too): minFreeSpace. */
  freeBytes?: number;
  /** Only entries of this task (`task` or `module/task`). */
  task?: string;
  /** Never remove the newest N entries of each task. */
  keep?: number;
  all?: boolean;
}

/** Why an entry goes: a closed set the CLI turns into words. */
export type PruneReason = 'older-than' | 'unused-for' | 'max-size' | 'task' | 'all' | 'keep' | 'corrupt';

/** One entry as prune weighs it; times in ms since the epoch. */
export interface PruneCandidate {
  ref: EntryRef;
  bytes: number;
  created: number | null;
  /** Last hit, else created. */
  lastUsed: number | null;
  /** Set when the entry must not be touched now (its key is locked, it was just hit). */
  busy?: string;
}

export interface PrunePlan {
  remove: { candidate: PruneCandidate; reasons: PruneReason[] }[];
  /** Selected, but busy: left alone this time. */
  skipped: { candidate: PruneCandidate; reason: string }[];
}

export function hasSelector(sel: PruneSelectors): boolean {
  return (
    sel.olderThanMs !== undefined ||
    sel.unusedForMs !== undefined ||
    sel.maxSizeBytes !== undefined ||
    sel.freeBytes !== undefined ||
    sel.task !== undefined ||
    sel.keep !== undefined ||
    Boolean(sel.all)
  );
}

function inScope(ref: EntryRef, task: string | undefined): boolean {
  return task === undefined || ref.task === task || `${ref.module}/${ref.task}` === task;
}

/** The newest `keep` entries of each task, by creation time. */
function newestPerTask(scope: PruneCandidate[], keep: number): Set<PruneCandidate> {
  const groups = new Map<string, PruneCandidate[]>();
  for (const c of scope) {
    const id = `${c.ref.module}/${c.ref.task}`;
    const group = groups.get(id);
    if (group) group.push(c);
    else groups.set(id, [c]);
  }
  const kept = new Set<PruneCandidate>();
  for (const group of groups.values()) {
    group.sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
    for (const c of group.slice(0, keep)) kept.add(c);
  }
  return kept;
}

/**
 * Chooses entries to remove. Age selectors must all match (`--older-than 30d
 * --unused-for 7d` is "old and idle"); `--max-size` then removes the least
 * recently used of the rest until the scope fits; `--task`, `--keep` or
 * `--all` alone select their whole scope. `--keep` protects in every case.
 */
export function planPrune(candidates: PruneCandidate[], sel: PruneSelectors, now: number): PrunePlan {
  const plan: PrunePlan = { remove: [], skipped: [] };
  if (!hasSelector(sel)) return plan;
  const scope = candidates.filter((c) => inScope(c.ref, sel.task));
  const kept = sel.keep === undefined ? new Set<PruneCandidate>() : newestPerTask(scope, sel.keep);
  const removable = scope.filter((c) => !kept.has(c));
  const chosen = new Map<PruneCandidate, PruneReason[]>();
  const choose = (c: PruneCandidate, reasons: PruneReason[]): boolean => {
    if (c.busy) {
      plan.skipped.push({ candidate: c, reason: c.busy });
      return false;
    }
    chosen.set(c, reasons);
    return true;
  };

  const byAge = sel.olderThanMs !== undefined || sel.unusedForMs !== undefined;
  if (byAge) {
    for (const c of removable) {
      const created = c.created ?? 0;
      const old = sel.olderThanMs === undefined || created <= now - sel.olderThanMs;
      const idle = sel.unusedForMs === undefined || (c.lastUsed ?? created) <= now - sel.unusedForMs;
      if (!old || !idle) continue;
      const reasons: PruneReason[] = [];
      if (sel.olderThanMs !== undefined) reasons.push('older-than');
      if (sel.unusedForMs !== undefined) reasons.push('unused-for');
      choose(c, reasons);
    }
  } else if (sel.maxSizeBytes === undefined) {
    const reason: PruneReason = sel.all ? 'all' : sel.task !== undefined ? 'task' : 'keep';
    for (const c of removable) choose(c, [reason]);
  }

  if (sel.maxSizeBytes !== undefined) {
    let total = scope.reduce((n, c) => n + (chosen.has(c) ? 0 : c.bytes), 0);
    const lru = removable
      .filter((c) => !chosen.has(c))
      .sort(
        (a, b) =>
          (a.lastUsed ?? a.created ?? 0) - (b.lastUsed ?? b.created ?? 0) || (a.created ?? 0) - (b.created ?? 0),
      );
    for (const c of lru) {
      if (total <= sel.maxSizeBytes) break;
      if (choose(c, ['max-size'])) total -= c.bytes;
    }
  }
  plan.remove = [...chosen].map(([candidate, reasons]) => ({ candidate, reasons }));
  return plan;
}

export interface PrunedEntry {
  ref: EntryRef;
  bytes: number;
  reasons: PruneReason[];
  /** What is wrong with a corrupt entry. */
  detail?: string;
}

export interface PruneResult {
  removed: PrunedEntry[];
  skipped: { ref: EntryRef; reason: string }[];
  leftovers: Leftover[];
  freedBytes: number;
  dryRun: boolean;
  /** Bytes the remaining entries in scope (all, or those of --task) take. */
  remainingBytes: number;
  /** The digest cache, pruned with the store: cleared by --all (of the whole store), else trimmed. */
  digests: DigestTrim;
}

function lastHit(dir: string): number | null {
  return statSync(path.join(dir, ENTRY_FILES.usage), { throwIfNoEntry: false })?.mtimeMs ?? null;
}

/**
 * Whether a live run holds an entry's key: only keys with a lock folder can
 * be held, and one listing of each task's lock folder finds those (a stat per
 * entry cost more than the rest of the choice). A lock taken after the
 * listing is found by the removal, which takes the lock itself.
 */
function lockLooker(layout: Layout): (ref: EntryRef) => boolean {
  const folders = new Map<string, Set<string>>();
  return (ref) => {
    const target = layout.lockTarget(ref);
    const folder = path.dirname(target);
    let locked = folders.get(folder);
    if (!locked) folders.set(folder, (locked = lockedTargetsIn(folder)));
    return locked.has(target) && isLockHeld(target);
  };
}

/** Why an entry must be left alone right now, or undefined. */
function busyReason(entry: CatalogEntry, held: boolean, now: number, all: boolean): string | undefined {
  if (held) return 'a running command holds its key';
  const hit = entry.lastHitMs;
  if (!all && hit !== null && now - hit < RECENT_USE_MS)
    return 'it was used in the last minute (only --all removes it)';
  return undefined;
}

function toCandidate(entry: CatalogEntry): PruneCandidate {
  return {
    ref: entry.ref,
    bytes: entry.diskBytes,
    created: entry.created?.getTime() ?? null,
    lastUsed: entry.lastUsed?.getTime() ?? null,
  };
}

type Removal = { ok: true } | { ok: false; reason: string };

/**
 * Removes one entry under its key lock, re-checking under the lock what was
 * decided without it: the entry may have been replaced (--force, rebuild),
 * hit, or found corrupt only because it was being replaced while we read it.
 */
async function removeLocked(layout: Layout, chosen: PrunedEntry, seen: CatalogEntry, all: boolean): Promise<Removal> {
  const lock = await tryAcquireKeyLock(layout.lockTarget(chosen.ref), countTakeOver(layout, chosen.ref));
  if (!lock) return { ok: false, reason: 'a running command holds its key' };
  try {
    if (!existsSync(layout.entryDir(chosen.ref))) return { ok: false, reason: 'it is gone already' };
    const now = describeEntry(layout, chosen.ref, { withoutSizes: true }).entry;
    if (now.created?.getTime() !== seen.created?.getTime())
      return { ok: false, reason: 'a newer run replaced it meanwhile' };
    const hit = lastHit(now.dir);
    if (!all && hit !== null && Date.now() - hit < RECENT_USE_MS && !chosen.reasons.includes('corrupt')) {
      return { ok: false, reason: 'it was used in the last minute (only --all removes it)' };
    }
    const stillCorrupt = now.meta ? checkSizes(now.dir, now.meta) !== null : true;
    if (chosen.reasons.includes('corrupt') && !stillCorrupt) {
      return { ok: false, reason: 'it passed its integrity check on a second look' };
    }
    try {
      if (removeEntry(layout, chosen.ref, 'pruned') === 'gone') return { ok: false, reason: 'it is gone already' };
      if (chosen.reasons.includes('corrupt')) recordRecovery(layout, 'set-aside', chosen.ref);
    } catch (err) {
      throw storeErrorFrom(err, `removing the entry ${chosen.ref.task} ${chosen.ref.key.slice(0, 12)}`);
    }
    return { ok: true };
  } finally {
    await lock.release();
  }
}

/**
 * The whole prune: sweep what crashed runs left, remove entries that fail
 * their integrity check, then the entries the selectors choose. Entries in
 * use are never removed; they are reported as skipped.
 */
export async function prune(
  layout: Layout,
  selectors: PruneSelectors,
  options: { dryRun: boolean },
): Promise<PruneResult> {
  let sel = selectors;
  const result: PruneResult = {
    removed: [],
    skipped: [],
    leftovers: findLeftovers(layout),
    freedBytes: 0,
    dryRun: options.dryRun,
    remainingBytes: 0,
    digests: { removed: 0, freedBytes: 0, entries: 0, bytes: 0 },
  };
  if (!options.dryRun) {
    try {
      removeLeftovers(layout, result.leftovers);
    } catch (err) {
      throw storeErrorFrom(err, 'removing leftovers of crashed runs');
    }
  }
  result.freedBytes += result.leftovers.reduce((n, l) => n + l.bytes, 0);

  const now = Date.now();
  const entries = await listEntries(layout);
  const isHeld = lockLooker(layout);
  const chosen: { entry: CatalogEntry; pruned: PrunedEntry }[] = [];
  const healthy: PruneCandidate[] = [];
  const byCandidate = new Map<PruneCandidate, CatalogEntry>();
  for (const entry of entries) {
    // Chosen with the cheap checks (meta.yaml's digest, file sizes); re-hashing everything is `cachex verify`'s job.
    const problem = entry.meta
      ? checkSizes(entry.dir, entry.meta)
      : { file: 'meta.yaml', reason: entry.metaProblem ?? 'meta.yaml is unreadable' };
    if (problem && !existsSync(entry.dir)) continue; // removed since we listed it
    if (problem) {
      if (isHeld(entry.ref)) result.skipped.push({ ref: entry.ref, reason: 'a running command holds its key' });
      else {
        recordRecovery(layout, 'corrupt-found', entry.ref, { reason: `${problem.file}: ${problem.reason}` });
        chosen.push({
          entry,
          pruned: {
            ref: entry.ref,
            bytes: entry.diskBytes,
            reasons: ['corrupt'],
            detail: `${problem.file}: ${problem.reason}`,
          },
        });
      }
      continue;
    }
    const candidate = { ...toCandidate(entry), busy: busyReason(entry, isHeld(entry.ref), now, Boolean(sel.all)) };
    byCandidate.set(candidate, entry);
    healthy.push(candidate);
  }
  if (sel.freeBytes !== undefined) {
    // Bytes to free become a size for the entries in scope, so --max-size's LRU rules (and its safety) apply.
    const scopeBytes = healthy.filter((c) => inScope(c.ref, sel.task)).reduce((n, c) => n + c.bytes, 0);
    const stillToFree = sel.freeBytes - result.freedBytes - chosen.reduce((n, c) => n + c.pruned.bytes, 0);
    const maxSizeBytes = Math.max(0, scopeBytes - Math.max(0, stillToFree));
    sel = { ...sel, freeBytes: undefined, maxSizeBytes: Math.min(maxSizeBytes, sel.maxSizeBytes ?? maxSizeBytes) };
  }
  const plan = planPrune(healthy, sel, now);
  for (const { candidate, reason } of plan.skipped) result.skipped.push({ ref: candidate.ref, reason });
  for (const { candidate, reasons } of plan.remove) {
    chosen.push({
      entry: byCandidate.get(candidate)!,
      pruned: { ref: candidate.ref, bytes: candidate.bytes, reasons },
    });
  }

  const removedKeys = new Set<string>();
  for (const { entry, pruned } of chosen) {
    if (!options.dryRun) {
      const removal = await removeLocked(layout, pruned, entry, Boolean(sel.all));
      if (!removal.ok) {
        result.skipped.push({ ref: pruned.ref, reason: removal.reason });
        continue;
      }
    }
    removedKeys.add(`${pruned.ref.module}/${pruned.ref.task}/${pruned.ref.key}`);
    result.removed.push(pruned);
    result.freedBytes += pruned.bytes;
  }
  if (!options.dryRun) dropEmptySummaries(layout);
  result.remainingBytes = entries
    .filter((e) => inScope(e.ref, sel.task) && !removedKeys.has(`${e.ref.module}/${e.ref.task}/${e.ref.key}`))
    .reduce((n, e) => n + e.diskBytes, 0);
  try {
    result.digests = trimDigestCache(layout.digests, {
      all: Boolean(sel.all) && sel.task === undefined,
      unusedForMs: sel.unusedForMs,
      olderThanMs: sel.olderThanMs,
      dryRun: options.dryRun,
    });
  } catch (err) {
    if (err instanceof CachexError) throw err; // a wrong CACHEX_DIGEST_CACHE_ENTRIES
    throw storeErrorFrom(err, 'pruning the digest cache');
  }
  return result;
}
