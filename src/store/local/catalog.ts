import { closeSync, fstatSync, lstatSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENTRY_FILES, KEY_PATTERN, type EntryRef, isSegment, type Layout, SUMMARY_SUFFIX } from '../layout.js';
import type { ListedEntry, ListQuery } from '../entry-store.js';
import { briefOf, type EntryBrief } from '../brief.js';
import { checkMeta, type EntryMeta } from '../meta.js';
import { swappedOut } from './swapped-out.js';
import { plainStamp } from '../../key/stamp.js';
import {
  METAS_SUFFIX,
  readSummary,
  recordBrief,
  recordJson,
  recordMeta,
  removeSummaries,
  settledMetaStamp,
  type SummaryRecord,
  usageStamp,
  writeSummary,
} from './summary.js';

/** One entry as listings see it (the store interface's ListedEntry), with what prune needs besides. */
export interface CatalogEntry extends ListedEntry {
  /** usage.log's mtime (the last hit), null when it has none. */
  lastHitMs: number | null;
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

/**
 * The files of an entry that may change after it is sealed: their size is measured each time, the rest once.
 * verified.json changes only when a hit re-hashes an output and records its new stamp, so for an entry without
 * outputs it is as fixed as the rest: counted once, and a listing does not stat it (a third of a listing's stats).
 */
const UNSEALED: ReadonlySet<string> = new Set([ENTRY_FILES.usage, ENTRY_FILES.verified]);
const UNSEALED_WITHOUT_OUTPUTS: ReadonlySet<string> = new Set([ENTRY_FILES.usage]);

/** An entry's `du` size, and how much of it is its sealed files (everything but usage.log, and verified.json when it has outputs). */
function entryUsage(dir: string, hasOutputs: boolean): { total: number; sealed: number } {
  const unsealedNames = hasOutputs ? UNSEALED : UNSEALED_WITHOUT_OUTPUTS;
  const seen = new Set<string>();
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return { total: 0, sealed: 0 };
  }
  let sealed = st.blocks * 512;
  let unsealed = 0;
  let names: string[] = [];
  try {
    names = st.isDirectory() ? readdirSync(dir) : [];
  } catch {
    /* gone meanwhile */
  }
  for (const name of names) {
    const bytes = diskUsage(path.join(dir, name), seen);
    if (unsealedNames.has(name)) unsealed += bytes;
    else sealed += bytes;
  }
  return { total: sealed + unsealed, sealed };
}

const blocksOf = (st: { blocks: number | bigint } | undefined): number => (st ? Number(st.blocks) * 512 : 0);

/** Hits (one line each) of a usage log's text. */
const countHits = (text: string): number => text.split('\n').filter(Boolean).length;

/** Removes the summaries of tasks with no entry left (after a prune): a summary of nothing is only disk use. */
export function dropEmptySummaries(layout: Layout): void {
  for (const module of subdirs(layout.summaries)) {
    for (const task of subdirs(path.join(layout.summaries, module))) {
      if (!isSegment(module) || !isSegment(task)) continue;
      if (!subdirs(path.join(layout.cache, module, task)).some((key) => KEY_PATTERN.test(key)))
        removeSummaries(layout.summaryFolder(module, task));
    }
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

/** An entry's meta.yaml, checked (self-digest, format, key), for open(); listings read it with its stamp (readMetaStamped). */
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

/** meta.yaml read and checked, with the stamp of the very file that was read (its descriptor's fstat). */
function readMetaStamped(dir: string, ref: EntryRef): { meta: EntryMeta; stamp: string | null } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path.join(dir, ENTRY_FILES.meta), 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? 'meta.yaml is missing' : 'meta.yaml cannot be read' };
  }
  try {
    // The stamp is taken before the read: a change after it changes the stamp, so a summary never pairs new bytes with an old stamp.
    const st = fstatSync(fd);
    const readAt = Date.now();
    const read = checkMeta(readFileSync(fd, 'utf8'), ref);
    return 'meta' in read ? { meta: read.meta, stamp: settledMetaStamp(st, readAt) } : read;
  } catch {
    return { problem: 'meta.yaml cannot be read' };
  } finally {
    closeSync(fd);
  }
}

interface Described {
  entry: CatalogEntry;
  /** What the summary may remember of it; null when nothing (damaged, changed just now, or moved aside). */
  record: SummaryRecord | null;
  /** How it was described: from a summary record, or read whole. */
  from: 'summary' | 'read';
  /** The usage log was read (its stamp differed from the record's). */
  usageRead: boolean;
  /** The sealed size was measured now (the record had none). */
  measured?: boolean;
}

/**
 * A listed entry. Listed through its summary record, its meta is parsed when first read: a listing row needs only
 * the brief (a getter on the class, not one defined on each of 10 000 objects).
 */
class Listed implements CatalogEntry {
  readonly created: Date | null;
  readonly lastUsed: Date | null;
  readonly hits: number;
  readonly lastHitMs: number | null;
  #meta: EntryMeta | null | undefined;
  readonly #record: SummaryRecord | null;

  constructor(
    readonly ref: EntryRef,
    readonly dir: string,
    /** The meta read whole; undefined: parsed from the summary record when first read. */
    meta: EntryMeta | null | undefined,
    readonly brief: EntryBrief | null,
    readonly metaProblem: string | null,
    readonly diskBytes: number,
    usage: { hits: number; lastHitMs: number | null },
    record: SummaryRecord | null,
  ) {
    this.#meta = meta;
    this.#record = record;
    this.created = brief?.created ? new Date(brief.created) : null;
    this.hits = usage.hits;
    this.lastHitMs = usage.lastHitMs;
    this.lastUsed = usage.hits && usage.lastHitMs !== null ? new Date(usage.lastHitMs) : this.created;
  }

  get outDir(): string {
    return `${this.dir}${path.sep}${ENTRY_FILES.out}`;
  }

  get meta(): EntryMeta | null {
    if (this.#meta === undefined) this.#meta = recordMeta(this.#record!) ?? this.#readMeta();
    return this.#meta;
  }

  /** Its meta.yaml read and checked, when the summary's metas file no longer matches (replaced by another listing). */
  #readMeta(): EntryMeta | null {
    const read = readMetaStamped(this.dir, this.ref);
    return 'meta' in read ? read.meta : null;
  }
}

function entryOf(
  ref: EntryRef,
  dir: string,
  meta: EntryMeta | null,
  problem: string | null,
  diskBytes: number,
  usage: { hits: number; lastHitMs: number | null },
  brief: EntryBrief | null = meta ? briefOf(meta) : null,
): CatalogEntry {
  return new Listed(ref, dir, meta, brief, problem, diskBytes, usage, null);
}

function entryFromRecord(
  ref: EntryRef,
  dir: string,
  record: SummaryRecord,
  diskBytes: number,
  usage: { hits: number; lastHitMs: number | null },
): CatalogEntry {
  return new Listed(ref, dir, undefined, recordBrief(record), null, diskBytes, usage, record);
}

/** usage.log's hits (from the record while its stamp is unchanged) and mtime. */
function usageNow(
  dir: string,
  record: SummaryRecord | null,
): { hits: number; lastHitMs: number | null; stamp: string | null; blocks: number; read: boolean } {
  const file = `${dir}${path.sep}${ENTRY_FILES.usage}`;
  // Most entries of a big store were never hit: a stat that does not throw says so (an ENOENT error cost ~80 µs per entry).
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) return { hits: 0, lastHitMs: null, stamp: null, blocks: 0, read: false };
  const stamp = usageStamp(st);
  const lastHitMs = st.mtimeMs;
  if (record && record.usageStamp === stamp)
    return { hits: record.hits, lastHitMs, stamp, blocks: blocksOf(st), read: false };
  let hits = 0;
  try {
    hits = countHits(readFileSync(file, 'utf8'));
  } catch {
    /* removed meanwhile */
  }
  return { hits, lastHitMs, stamp, blocks: blocksOf(st), read: true };
}

/**
 * One entry as a listing shows it. With a summary record whose meta.yaml
 * stamp still matches, the checked meta and sealed size come from it; else
 * meta.yaml is read and checked (its self-digest) and the entry measured.
 */
export function describeEntry(
  layout: Layout,
  ref: EntryRef,
  options: { withoutSizes?: boolean } = {},
  dir = layout.entryDir(ref),
  known: SummaryRecord | null = null,
): Described {
  if (known) {
    const st = statSync(`${dir}${path.sep}${ENTRY_FILES.meta}`, { throwIfNoEntry: false });
    if (st && plainStamp(st, 'content') === known.metaStamp) {
      const usage = usageNow(dir, known);
      let diskBytes = 0;
      let sealedBytes = known.sealedBytes;
      if (!options.withoutSizes) {
        const hasOutputs = recordBrief(known).outputs > 0;
        if (sealedBytes === null) sealedBytes = entryUsage(dir, hasOutputs).sealed;
        const verified = hasOutputs
          ? statSync(`${dir}${path.sep}${ENTRY_FILES.verified}`, { throwIfNoEntry: false })
          : undefined;
        diskBytes = sealedBytes + usage.blocks + blocksOf(verified);
      }
      // The record is this listing's own copy (read from the file for it): updated in place.
      const changed = sealedBytes !== known.sealedBytes;
      known.sealedBytes = sealedBytes;
      known.usageStamp = usage.stamp;
      known.hits = usage.hits;
      return {
        entry: entryFromRecord(ref, dir, known, diskBytes, usage),
        record: known,
        from: 'summary',
        usageRead: usage.read,
        measured: changed,
      };
    }
  }
  const read = readMetaStamped(dir, ref);
  const usage = usageNow(dir, null);
  const hasOutputs = !('meta' in read) || (read.meta.outputs?.length ?? 0) > 0;
  const sizes = options.withoutSizes ? null : entryUsage(dir, hasOutputs);
  if (!('meta' in read))
    return {
      entry: entryOf(ref, dir, null, read.problem, sizes?.total ?? 0, usage),
      record: null,
      from: 'read',
      usageRead: true,
    };
  const brief = briefOf(read.meta);
  const record: SummaryRecord | null =
    read.stamp === null
      ? null
      : {
          metaStamp: read.stamp,
          sealedBytes: sizes?.sealed ?? null,
          usageStamp: usage.stamp,
          hits: usage.hits,
          ...recordJson(read.meta, brief),
          meta: read.meta,
          brief,
        };
  return {
    entry: entryOf(ref, dir, read.meta, null, sizes?.total ?? 0, usage, brief),
    record,
    from: 'read',
    usageRead: true,
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

/** The `n` entries whose folders were written last: one stat each, no meta.yaml read for the rest. */
function newestOf(layout: Layout, refs: EntryRef[], n: number): EntryRef[] {
  const written = (ref: EntryRef) => statSync(layout.entryDir(ref), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return refs
    .map((ref) => ({ ref, at: written(ref) }))
    .sort((a, b) => b.at - a.at)
    .slice(0, n)
    .map((x) => x.ref);
}

/** A summary is rewritten when this many entries' usage logs had to be read again (a rewrite costs about as much as reading that many). */
const USAGE_REWRITE = 8;
/** Reading a summary costs about a twentieth of describing each of its entries afresh: not worth it for a few. */
const SUMMARY_WORTH = 20;

/** Describes the entries of one task, a summary file (a sixteenth of its keys) at a time; in the order of `wanted`. */
function describeTask(
  layout: Layout,
  module: string,
  task: string,
  keys: string[],
  wanted: EntryRef[],
  query: ListQuery,
): CatalogEntry[] {
  const shards = new Map<string, { keys: string[]; wanted: EntryRef[] }>();
  const shard = (key: string) => {
    let s = shards.get(key[0]);
    if (!s) shards.set(key[0], (s = { keys: [], wanted: [] }));
    return s;
  };
  for (const key of keys) shard(key).keys.push(key);
  for (const ref of wanted) shard(ref.key).wanted.push(ref);
  const taskDir = path.join(layout.cache, module, task);
  if (wanted.length === keys.length) dropEmptyShards(layout.summaryFolder(module, task), shards);
  const byKey = new Map<string, CatalogEntry>();
  for (const [id, s] of shards) {
    if (!s.wanted.length) continue;
    for (const entry of describeShard(layout, taskDir, layout.summaryFile(module, task, id), s.keys, s.wanted, query))
      byKey.set(entry.ref.key, entry);
  }
  return wanted.map((ref) => byKey.get(ref.key)!);
}

/** A listing of the whole task removes the summary and metas files of digits no key starts with any more. */
function dropEmptyShards(folder: string, shards: Map<string, unknown>): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const suffix = name.slice(1);
    const digit = suffix === SUMMARY_SUFFIX || suffix === METAS_SUFFIX ? name[0] : null;
    if (digit && /^[0-9a-f]$/.test(digit) && !shards.has(digit)) removeSummaries(path.join(folder, name));
  }
}

/** Describes entries through one summary file, and rewrites it when it saved less than it could. */
function describeShard(
  layout: Layout,
  taskDir: string,
  file: string,
  keys: string[],
  wanted: EntryRef[],
  query: ListQuery,
): CatalogEntry[] {
  const summary = wanted.length * SUMMARY_WORTH >= keys.length ? readSummary(file) : null;
  let changed = false;
  let usageReads = 0;
  const entries: CatalogEntry[] = [];
  for (const ref of wanted) {
    const dir = `${taskDir}${path.sep}${ref.key}`;
    if (!summary) {
      entries.push(describeEntry(layout, ref, query, dir).entry);
      continue;
    }
    const known = summary.get(ref.key) ?? null;
    const described = describeEntry(layout, ref, query, dir, known);
    entries.push(described.entry);
    if (described.from === 'read') {
      if (described.record) summary.set(ref.key, described.record);
      else summary.delete(ref.key);
      if (described.record || known) changed = true;
    } else {
      if (described.usageRead) usageReads++;
      if (described.measured) changed = true;
    }
  }
  if (!summary) return entries;
  // Entries gone from cache/ (pruned, removed by hand) leave the summary with its next write.
  const present = new Set(keys);
  for (const key of summary.keys()) {
    if (!present.has(key)) {
      summary.delete(key);
      changed = true;
    }
  }
  if (changed || usageReads >= USAGE_REWRITE) writeSummary(file, summary);
  return entries;
}

/**
 * Every entry matching the query. A key whose entry a --force run has just
 * moved aside (tmp/trash-…) is listed from there, so the old or the new entry
 * is visible at every instant; looked at after cache/, so a replace finishing
 * meanwhile shows its new entry instead.
 */
export async function listEntries(layout: Layout, query: ListQuery = {}): Promise<CatalogEntry[]> {
  const all = entryRefs(layout, query);
  let refs = all.filter((ref) => matches(ref, query));
  if (query.newest !== undefined) refs = newestOf(layout, refs, query.newest);
  if (query.exceptKey !== undefined) refs = refs.filter((ref) => ref.key !== query.exceptKey);
  // Grouped by task, each with its summary; in the order of `refs`.
  const tasks = new Map<string, { module: string; task: string; keys: string[]; wanted: EntryRef[] }>();
  const group = (ref: EntryRef) => {
    const id = `${ref.module}/${ref.task}`;
    let g = tasks.get(id);
    if (!g) tasks.set(id, (g = { module: ref.module, task: ref.task, keys: [], wanted: [] }));
    return g;
  };
  for (const ref of all) group(ref).keys.push(ref.key);
  for (const ref of refs) group(ref).wanted.push(ref);
  let entries: CatalogEntry[] = [];
  for (const g of tasks.values()) {
    if (!g.wanted.length) continue;
    for (const entry of describeTask(layout, g.module, g.task, g.keys, g.wanted, query)) entries.push(entry);
  }
  if (query.newest !== undefined) {
    // Newest first across tasks, as `refs` has them.
    const byRef = new Map(entries.map((entry) => [refId(entry.ref), entry]));
    entries = refs.map((ref) => byRef.get(refId(ref))!);
  }
  const asides = swappedOut(layout);
  const listed = asides.length ? new Set(refs.map(refId)) : null;
  for (const aside of asides) {
    if (!matches(aside.ref, query) || listed!.has(refId(aside.ref))) continue;
    listed!.add(refId(aside.ref));
    const entry = describeEntry(layout, aside.ref, query, aside.dir).entry;
    // Deleted while we read it: the new entry is in place by then.
    entries.push(entry.meta ? entry : describeEntry(layout, aside.ref, query).entry);
  }
  return entries;
}
