import { closeSync, constants, openSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { statStamp } from './stamp.js';

/**
 * The digest cache on disk (DATA_FOLDER/digests/): one small file per hashed
 * input, `<2 hex>/<62 hex>` of the sha256 of its absolute path, holding the
 * stat stamp, the digest and the path. Each record is written whole by a
 * rename, so a crash or a concurrent remove only ever costs a re-hash.
 *
 * Bounded per bucket: the 256 bucket folders share the cap evenly, so a
 * writer keeps the whole cache under it by counting one small folder. Eviction
 * is least-recently-used as the file system tells it without a write on a hit
 * (a record's atime, which relatime refreshes about daily, else its mtime).
 */
export const BUCKETS = 256;
/** About 200 MB on disk at most (4 kB blocks), enough for a 40 000-file input tree. */
export const DEFAULT_DIGEST_ENTRIES = 50_000;
const RECORD = /^[0-9a-f]{62}$/;
const BUCKET = /^[0-9a-f]{2}$/;
/** A temp file older than this was left by a writer that crashed between write and rename. */
const TEMP_AGE_MS = 60_000;

/** The cap in records: CACHEX_DIGEST_CACHE_ENTRIES, else the default; at least one per bucket. */
export function digestCap(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CACHEX_DIGEST_CACHE_ENTRIES;
  if (raw === undefined || raw === '') return DEFAULT_DIGEST_ENTRIES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(
      `CACHEX_DIGEST_CACHE_ENTRIES must be a whole number of records (such as 50000), got ${JSON.stringify(raw)}.`,
    );
  return Math.max(n, BUCKETS);
}

const perBucket = (cap: number) => Math.max(1, Math.floor(cap / BUCKETS));
/** Evicting down to 90 % leaves room, so a full bucket is not counted again on every write. */
const evictTo = (cap: number) => Math.max(1, Math.floor(perBucket(cap) * 0.9));

const lastUse = (st: { atimeMs: number; mtimeMs: number }) => Math.max(st.atimeMs, st.mtimeMs);

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function removeFile(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch {
    return false; // removed by another process meanwhile
  }
}

/** Records per bucket this process has counted, so a writer lists a bucket once, then adds. */
const counted = new Map<string, number>();

/**
 * Called after a record was written into `bucket`: past the bucket's share of
 * the cap, the least recently used records go (never `written`) and crash
 * leftovers with them. Best effort, never throws.
 */
export function noteWritten(bucket: string, written: string, cap: number): void {
  const known = counted.get(bucket);
  let n = known === undefined ? names(bucket).filter((name) => RECORD.test(name)).length : known + 1;
  if (n > perBucket(cap)) n = evict(bucket, evictTo(cap), written, false).kept;
  counted.set(bucket, n);
}

interface Evicted {
  kept: number;
  removed: number;
  bytes: number;
}

const diskBytes = (st: { blocks: number; size: number }) => (st.blocks ? st.blocks * 512 : st.size);

function evict(bucket: string, target: number, spare: string | null, dryRun: boolean): Evicted {
  const records: { file: string; used: number; bytes: number }[] = [];
  const out: Evicted = { kept: 0, removed: 0, bytes: 0 };
  const now = Date.now();
  for (const name of names(bucket)) {
    const file = path.join(bucket, name);
    let st;
    try {
      st = statSync(file);
    } catch {
      continue;
    }
    if (RECORD.test(name)) records.push({ file, used: name === spare ? Infinity : lastUse(st), bytes: diskBytes(st) });
    else if (now - st.mtimeMs > TEMP_AGE_MS && (dryRun || removeFile(file))) {
      out.removed++;
      out.bytes += diskBytes(st);
    }
  }
  records.sort((a, b) => a.used - b.used);
  const excess = Math.max(0, records.length - target);
  for (const [i, r] of records.entries()) {
    if (i < excess && (dryRun || removeFile(r.file))) {
      out.removed++;
      out.bytes += r.bytes;
    } else out.kept++;
  }
  return out;
}

export interface DigestCacheUsage {
  entries: number;
  /** On disk, as `du` counts it. */
  bytes: number;
  /** The cap in records (see digestCap). */
  cap: number;
}

/** What the digest cache takes now (a walk of its 256 folders: for ls and stats, not a hit). */
export function digestCacheUsage(folder: string, env: NodeJS.ProcessEnv = process.env): DigestCacheUsage {
  const usage = { entries: 0, bytes: 0, cap: digestCap(env) };
  for (const b of names(folder)) {
    if (!BUCKET.test(b)) continue;
    for (const name of names(path.join(folder, b))) {
      if (!RECORD.test(name)) continue;
      try {
        usage.bytes += diskBytes(statSync(path.join(folder, b, name)));
        usage.entries++;
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return usage;
}

export interface DigestTrim {
  /** Records (and crash leftovers) removed, or that a dry run would remove, and their bytes. */
  removed: number;
  freedBytes: number;
  /** What is left. */
  entries: number;
  bytes: number;
}

/** Reads a record without refreshing its atime (prune reading it is no use of it), where the kernel lets us. */
function readNoAtime(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOATIME ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    fd = openSync(file, 'r'); // O_NOATIME needs the file's owner
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whether a record is no use any more: its file is gone or changed since it was hashed. */
function deadRecord(file: string): boolean {
  let text: string;
  try {
    text = readNoAtime(file);
  } catch {
    return false; // removed meanwhile: nothing to do
  }
  const [stamp, , input] = text.split('\n');
  if (!input) return false; // written before records named their file: only the cap and age remove it
  try {
    return statStamp(statSync(input, { bigint: true }), 'content') !== stamp;
  } catch {
    return true;
  }
}

/**
 * `prune`'s part for the digest cache: with `all`, everything goes; otherwise
 * records whose file is gone or changed, records unused for `unusedForMs`
 * (or written more than `olderThanMs` ago), crash leftovers, and whatever
 * exceeds the cap. Nothing here is ever in use in a way that matters: a
 * removed record only costs the next run one re-hash.
 */
export function trimDigestCache(
  folder: string,
  options: { all?: boolean; unusedForMs?: number; olderThanMs?: number; dryRun: boolean },
  env: NodeJS.ProcessEnv = process.env,
): DigestTrim {
  const before = digestCacheUsage(folder, env);
  if (options.all && options.dryRun) return { removed: before.entries, freedBytes: before.bytes, entries: 0, bytes: 0 };
  const now = Date.now();
  let removed = 0;
  let freedBytes = 0;
  for (const b of names(folder)) {
    if (!BUCKET.test(b)) continue;
    const bucket = path.join(folder, b);
    for (const name of names(bucket)) {
      const file = path.join(bucket, name);
      // --all removes every file but keeps the folders: runs write records into them meanwhile
      // (removing the folders raced those writes); each record stands alone, so a crash half-way
      // leaves a smaller, still correct cache.
      if (options.all) {
        let size = 0;
        try {
          size = diskBytes(statSync(file));
        } catch {
          continue;
        }
        if (removeFile(file)) {
          removed++;
          freedBytes += size;
        }
        continue;
      }
      if (!RECORD.test(name)) continue;
      let st;
      try {
        st = statSync(file);
      } catch {
        continue;
      }
      const idle = options.unusedForMs !== undefined && lastUse(st) <= now - options.unusedForMs;
      const old = options.olderThanMs !== undefined && st.mtimeMs <= now - options.olderThanMs;
      if ((idle || old || deadRecord(file)) && (options.dryRun || removeFile(file))) {
        removed++;
        freedBytes += diskBytes(st);
      }
    }
    if (!options.dryRun && !options.all) {
      const capped = evict(bucket, perBucket(digestCap(env)), null, false);
      removed += capped.removed;
      freedBytes += capped.bytes;
    }
    counted.delete(bucket);
  }
  if (options.dryRun)
    return { removed, freedBytes, entries: before.entries - removed, bytes: Math.max(0, before.bytes - freedBytes) };
  const after = digestCacheUsage(folder, env);
  return { removed, freedBytes, entries: after.entries, bytes: after.bytes };
}
