import { statSync } from 'node:fs';

/** One result held in memory, with what is needed to tell whether its entry is still on disk. */
export interface MemoryEntry {
  /** The serialised value: callers get a fresh copy each time and cannot mutate the cache. */
  bytes: Buffer;
  /** The entry's folder and the identity of its meta.yaml when the result was loaded. */
  dir: string;
  metaFile: string;
  identity: string;
  /** When a memory hit was last recorded in the entry's usage log (ms). */
  recordedAt: number;
}

/**
 * Identity of an entry on disk: the meta.yaml file's device, inode, size and
 * mtime. A pruned entry has none; a replaced one (--force, rebuild) has a new
 * inode. One stat, no read: cheap enough for every memory hit.
 */
export function entryIdentity(metaFile: string): string | null {
  try {
    const st = statSync(metaFile, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return null;
  }
}

/** A least-recently-used map bounded by total bytes and by count (a Map keeps insertion order). */
export class MemoryLayer {
  private readonly entries = new Map<string, MemoryEntry>();
  bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry, marked most recently used. */
  get(key: string): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: MemoryEntry): void {
    this.delete(key);
    // A result bigger than the whole budget would only evict everything else.
    if (entry.bytes.length > this.maxBytes || this.maxEntries < 1) return;
    this.entries.set(key, entry);
    this.bytes += entry.bytes.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
      this.bytes -= old.bytes.length;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes.length;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
