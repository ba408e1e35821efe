import type { EntryRef } from '../store/layout.js';

/** One result held in memory, with what is needed to tell whether its entry is still on disk. */
export interface MemoryEntry {
  /** The serialised value (null once `copy` no longer needs it): callers get a fresh copy each time and cannot mutate the cache. */
  bytes: Buffer | null;
  /** The serialised length: what the entry counts against maxBytes. */
  size: number;
  /** How a hit makes its fresh copy (copy.ts copierOf), chosen at the first memory hit; the bytes may be dropped then. */
  copy?: () => unknown;
  /** The entry it came from and that entry's identity (EntryStore.identity) when the result was loaded. */
  ref: EntryRef;
  identity: string;
  /** When its entry was created (ISO), so a max age also ends memory hits. */
  created?: string;
  /** When a memory hit was last recorded in the entry's usage log (ms). */
  recordedAt: number;
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
    if (entry.size > this.maxBytes || this.maxEntries < 1) return;
    this.entries.set(key, entry);
    this.bytes += entry.size;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
      this.bytes -= old.size;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
