/** The public shapes of the library API: options of `cache()` and the cached function it returns. */
import type { ParamsSchema, TaskContext } from '../config/types.js';
import type { EntryMeta } from '../store/meta.js';

export interface MemoryOptions {
  /** Upper bound of the serialised bytes held in memory (default 64 MB). */
  maxBytes?: number;
  /** Upper bound of the number of results held in memory (default 1000). */
  maxEntries?: number;
}

export interface CacheOptions<D extends object = object> {
  /** Folder name of the entries under cache/<module>/ (default: the function's name; required for anonymous functions). */
  name?: string;
  /** Folder under cache/ (default: the base name of the file that calls `cache()`, without extension). */
  module?: string;
  /** Bump to invalidate every entry of this function. */
  version?: number | string;
  /** Values used when an argument is omitted; an omitted argument and its default share a key. */
  defaults?: D;
  /** Argument names that do not enter the key (they still reach the function). */
  ignore?: readonly string[];
  /**
   * Typed params, the same schema as config tasks: values are validated and
   * normalised, and `file`/`dir` params enter the key by content. Arguments
   * not declared here enter the key by value (canonical JSON).
   */
  params?: ParamsSchema;
  /** The in-process memory layer; `false` turns it off. */
  memory?: MemoryOptions | false;
  /** The store (default: `DATA_FOLDER` from the environment, else `<cwd>/.cachex`). */
  dataFolder?: string;
  /** Results whose big typed arrays reach this many bytes are streamed; other results this large are stored uncompressed (default 64 MB). */
  streamThreshold?: number;
}

export interface CacheStats {
  /** Calls answered from the memory layer. */
  memoryHits: number;
  /** Calls answered from a stored entry (which then fills the memory layer). */
  diskHits: number;
  /** Computations started (including forced ones and ones that threw). */
  misses: number;
  /** Calls that waited for an in-flight computation of the same key in this process. */
  joined: number;
  /** Serialised bytes held in the memory layer. */
  bytesInMemory: number;
  entriesInMemory: number;
}

/** Arguments of a call: those with a default in `defaults` may be omitted. */
export type CallArgs<A, D> = Omit<A, keyof D & keyof A> & Partial<Pick<A, keyof D & keyof A>>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CachableFunction<A extends object = any, R = unknown> = (args: A, ctx: TaskContext) => R;

export interface CachedFunction<A extends object, R> {
  /** Returns the stored result for these arguments, computing and storing it on a miss. */
  (args?: A): Promise<Awaited<R>>;
  /** `make({ force: true, ...args })` recomputes and replaces the entry; without `force` it is a plain call. */
  make(args: A & { force?: boolean }): Promise<Awaited<R>>;
  /** The key (SHA-256 hex) these arguments map to. */
  key(args?: A): string;
  /** The stored entry's metadata, or null when there is none. */
  inspect(args?: A): Promise<EntryMeta | null>;
  /** The stored entry's output folder (what the function wrote into `ctx.outDir`), or null when there is no entry. */
  outDir(args?: A): string | null;
  /** Removes every stored entry of this function (in the current data folder) and empties its memory layer; returns how many entries went. */
  clear(): Promise<number>;
  stats(): CacheStats;
  readonly taskName: string;
  readonly module: string;
}
