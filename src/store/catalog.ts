import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENTRY_FILES, KEY_PATTERN, type EntryRef, type Layout } from './layout.js';
import { parseMeta, type EntryMeta } from './meta.js';

/** One entry as listings see it: its metadata (when readable), size on disk and use. */
export interface CatalogEntry {
  ref: EntryRef;
  dir: string;
  meta: EntryMeta | null;
  /** Why meta.yaml could not be read, when it could not. */
  metaProblem: string | null;
  /** Bytes on disk (allocated blocks, as `du` counts them). */
  diskBytes: number;
  hits: number;
  created: Date | null;
  /** Last hit, else creation. */
  lastUsed: Date | null;
}

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

/** Bytes on disk of a folder tree, counted like `du` (allocated blocks). */
export function diskUsage(target: string): number {
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return 0;
  }
  let total = st.blocks * 512;
  if (st.isDirectory()) for (const name of readdirSync(target)) total += diskUsage(path.join(target, name));
  return total;
}

/** Hits and last use, from the usage log appended on every hit. */
export function usageOf(dir: string): { hits: number; lastUsed: Date | null } {
  const file = path.join(dir, ENTRY_FILES.usage);
  try {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    return { hits: lines.length, lastUsed: lines.length ? statSync(file).mtime : null };
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

export async function describeEntry(layout: Layout, ref: EntryRef): Promise<CatalogEntry> {
  const dir = layout.entryDir(ref);
  let meta: EntryMeta | null = null;
  let metaProblem: string | null = null;
  try {
    meta = await parseMeta(readFileSync(path.join(dir, ENTRY_FILES.meta), 'utf8'));
    if (!meta || typeof meta !== 'object' || meta.key !== ref.key) {
      metaProblem = 'meta.yaml is incomplete';
      meta = null;
    }
  } catch (err) {
    metaProblem =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'meta.yaml is missing' : 'meta.yaml cannot be parsed';
  }
  const usage = usageOf(dir);
  const created = meta?.created ? new Date(meta.created) : null;
  return {
    ref,
    dir,
    meta,
    metaProblem,
    diskBytes: diskUsage(dir),
    hits: usage.hits,
    created,
    lastUsed: usage.lastUsed ?? created,
  };
}

export async function listEntries(
  layout: Layout,
  filter: { task?: string; module?: string } = {},
): Promise<CatalogEntry[]> {
  return Promise.all(entryRefs(layout, filter).map((ref) => describeEntry(layout, ref)));
}

/** Entries whose key starts with `prefix` (at least 6 hex characters, checked by the caller). */
export function refsByPrefix(layout: Layout, prefix: string): EntryRef[] {
  return entryRefs(layout).filter((ref) => ref.key.startsWith(prefix));
}
