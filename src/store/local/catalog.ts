import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENTRY_FILES, KEY_PATTERN, type EntryRef, type Layout } from '../layout.js';
import type { ListedEntry, ListQuery } from '../entry-store.js';
import { checkMeta, type EntryMeta } from '../meta.js';
import { swappedOut } from './swapped-out.js';

/** One entry as listings see it (the store interface's ListedEntry), with its folder for the store's own use. */
export type CatalogEntry = ListedEntry;

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Bytes on disk of a folder tree, counted like `du` (allocated blocks; a file with several names once). */
export function diskUsage(target: string, seen = new Set<string>()): number {
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return 0;
  }
  if (st.nlink > 1 && !st.isDirectory()) {
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return 0;
    seen.add(id);
  }
  let total = st.blocks * 512;
  if (st.isDirectory()) for (const name of readdirSync(target)) total += diskUsage(path.join(target, name), seen);
  return total;
}

/** Hits and last use, from the usage log appended on every hit. */
export function usageOf(dir: string): { hits: number; lastUsed: Date | null } {
  const file = path.join(dir, ENTRY_FILES.usage);
  try {
    // Most entries of a big store were never hit: a stat that does not throw says so (an ENOENT error cost ~80 µs per entry in `ls`).
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return { hits: 0, lastUsed: null };
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    return { hits: lines.length, lastUsed: lines.length ? st.mtime : null };
  } catch {
    return { hits: 0, lastUsed: null };
  }
}

/** Every entry folder under cache/, optionally for one task (and module). */
export function entryRefs(layout: Layout, filter: { task?: string; module?: string } = {}): EntryRef[] {
  const refs: EntryRef[] = [];
  for (const module of subdirs(layout.cache)) {
    if (filter.module && module !== filter.module) continue;
    for (const task of subdirs(path.join(layout.cache, module))) {
      if (filter.task && task !== filter.task) continue;
      for (const key of subdirs(path.join(layout.cache, module, task))) {
        if (KEY_PATTERN.test(key)) refs.push({ module, task, key });
      }
    }
  }
  return refs;
}

/** An entry's meta.yaml, checked (self-digest, format, key) by the one reader every listing uses. */
export async function readEntryMeta(dir: string, ref: EntryRef): Promise<{ meta: EntryMeta } | { problem: string }> {
  let text: string;
  try {
    text = readFileSync(path.join(dir, ENTRY_FILES.meta), 'utf8');
  } catch (err) {
    return {
      problem: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'meta.yaml is missing' : 'meta.yaml cannot be read',
    };
  }
  return checkMeta(text, ref);
}

export async function describeEntry(
  layout: Layout,
  ref: EntryRef,
  options: { withoutSizes?: boolean } = {},
  dir = layout.entryDir(ref),
): Promise<CatalogEntry> {
  const read = await readEntryMeta(dir, ref);
  const meta = 'meta' in read ? read.meta : null;
  const usage = usageOf(dir);
  const created = meta?.created ? new Date(meta.created) : null;
  return {
    ref,
    dir,
    outDir: path.join(dir, ENTRY_FILES.out),
    meta,
    metaProblem: 'problem' in read ? read.problem : null,
    diskBytes: options.withoutSizes ? 0 : diskUsage(dir),
    hits: usage.hits,
    created,
    lastUsed: usage.lastUsed ?? created,
  };
}

const refId = (ref: EntryRef): string => `${ref.module}/${ref.task}/${ref.key}`;

function matches(ref: EntryRef, query: ListQuery): boolean {
  return (
    (!query.module || ref.module === query.module) &&
    (!query.task || ref.task === query.task) &&
    (!query.keyPrefix || ref.key.startsWith(query.keyPrefix))
  );
}

/**
 * Every entry matching the query. A key whose entry a --force run has just
 * moved aside (tmp/trash-…) is listed from there, so the old or the new entry
 * is visible at every instant; looked at after cache/, so a replace finishing
 * meanwhile shows its new entry instead.
 */
/** The `n` entries whose folders were written last: one stat each, no meta.yaml read for the rest. */
function newestOf(layout: Layout, refs: EntryRef[], n: number): EntryRef[] {
  const written = (ref: EntryRef) => statSync(layout.entryDir(ref), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return refs
    .map((ref) => ({ ref, at: written(ref) }))
    .sort((a, b) => b.at - a.at)
    .slice(0, n)
    .map((x) => x.ref);
}

export async function listEntries(layout: Layout, query: ListQuery = {}): Promise<CatalogEntry[]> {
  let refs = entryRefs(layout, query).filter((ref) => matches(ref, query));
  if (query.newest !== undefined) refs = newestOf(layout, refs, query.newest);
  const listed = new Set(refs.map(refId));
  const entries = refs.map((ref) => describeEntry(layout, ref, query));
  for (const aside of swappedOut(layout)) {
    if (!matches(aside.ref, query) || listed.has(refId(aside.ref))) continue;
    listed.add(refId(aside.ref));
    entries.push(
      describeEntry(layout, aside.ref, query, aside.dir).then((entry) =>
        // Deleted while we read it: the new entry is in place by then.
        entry.meta ? entry : describeEntry(layout, aside.ref, query),
      ),
    );
  }
  return Promise.all(entries);
}
