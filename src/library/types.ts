/** The public shapes of the library API: options of `cache()` and the cached function it returns. */
import type { ParamsSchema, TaskContext } from '../config/types.js';
import type { EntryMeta } from '../store/meta.js';

export interface MemoryOptions {
  /** Upper bound of the serialised bytes held in memory (default 64 MB). */
  maxBytes?: number;
  /** Upper bound of the number of results held in memory (default 1000). */
  maxEntries?: number;
}

/**
 * Options of `cache()`. With the type parameters filled in by `cache()`, `I`
 * holds the names in `ignore`, `D` the type of `defaults` and `P` the type of
 * `params`; `cache()` checks them against the function's arguments (see
 * OptionsMistake).
 */
export interface CacheOptions<I extends string = string, D = object, P = ParamsSchema> {
  /** Folder name of the entries under cache/<module>/ (default: the function's name; required for anonymous functions). */
  name?: string;
  /** Folder under cache/ (default: the base name of the file that calls `cache()`, without extension). */
  module?: string;
  /** Bump to invalidate every entry of this function. */
  version?: number | string;
  /** Values used when an argument is omitted; an omitted argument and its default share a key. */
  defaults?: D;
  /** Argument names that do not enter the key (they still reach the function). */
  ignore?: readonly I[];
  /**
   * Typed params, the same schema as config tasks: values are validated and
   * normalised, and `file`/`dir` params enter the key by content. Arguments
   * not declared here enter the key by value (canonical JSON).
   */
  params?: P & ParamsSchema;
  /** The in-process memory layer; `false` turns it off. */
  memory?: MemoryOptions | false;
  /**
   * The store (default: `DATA_FOLDER` from the environment or from the project's
   * `.env`, else `<project root>/.cachex` — the CLI's rule).
   */
  dataFolder?: string;
  /** Results whose big typed arrays reach this many bytes are streamed; other results this large are stored uncompressed (default 64 MB). */
  streamThreshold?: number;
  /** A stored result older than this is recomputed and replaced: milliseconds or `2h`, `30d` (as the CLI's --max-age). */
  maxAge?: number | string;
  /** Past maxAge, return the old result at once for this long and refresh it in the background. */
  staleWhileRevalidate?: number | string;
  /**
   * Keep at least this free on the store's disk: a result that would leave less is stored only after pruning
   * least-recently-used entries makes room, else returned unstored (`1GB`, `5%`, bytes, 0 = off;
   * CACHEX_MIN_FREE_SPACE wins; default 1 GiB or 5 % of the disk, whichever is less).
   */
  minFreeSpace?: number | string;
  /**
   * The remote tier, set up like the CLI's by CACHEX_REMOTE_URL and the other
   * CACHEX_REMOTE_* variables (secrets only from the environment). This option
   * stands in for the config file's `remote` section (`{ signing, namespace,
   * lease, maxArtifactSize }`); `false` keeps this function local. Uploads run
   * in the background: await `flushRemote()` before `process.exit()`.
   */
  remote?: false | { signing?: boolean; namespace?: string; lease?: boolean; maxArtifactSize?: number };
  /**
   * The whole store's cap (bytes or `5GB`, as the config's `maxSize`; CACHEX_MAX_SIZE wins): after a call
   * stores a result and the store crosses it, least recently used entries are pruned, at most once a minute.
   */
  maxSize?: number | string;
  /** Entries of the whole store unused for this long are pruned after a call stores (as the config's). */
  pruneUnusedFor?: number | string;
}

type Writable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;

/**
 * Why options with `ignore` names `I`, `defaults` `D` and `params` `P` do not
 * fit a function taking `A`, as a sentence; never when they fit.
 */
export type OptionsMistake<A, I, D, P> = [Exclude<I, keyof A>] extends [never]
  ? [Exclude<keyof D, keyof A>] extends [never]
    ? [Exclude<keyof P, keyof A>] extends [never]
      ? [Writable<D>] extends [Partial<A>]
        ? never
        : 'a value in defaults does not fit the type of its argument'
      : `params names ${Exclude<keyof P, keyof A> & string}, which the function does not take`
    : `defaults names ${Exclude<keyof D, keyof A> & string}, which the function does not take`
  : `ignore names ${Exclude<I, keyof A> & string}, which the function does not take`;

/**
 * What `cache()` returns: the cached function, or — when the options name
 * arguments the function does not take — a type that cannot be called, whose
 * one property says what is wrong. (The check sits in the result, not in the
 * options' own type: TypeScript infers the options before a function whose
 * `ctx` is not annotated, and a check there would fix the argument type too
 * early.)
 */
export type Cached<A extends object, R, I, D, P> = [OptionsMistake<A, I, D, P>] extends [never]
  ? CachedFunction<CallArgs<A, D>, R>
  : { 'cache() options do not fit the function': OptionsMistake<A, I, D, P> };

/** What `cache(options)` returns: a wrapper that caches a function the options fit. */
export type CacheWrapper<I extends string, D, P> = <A extends object, R>(
  fn: CachableFunction<A, R>,
) => Cached<A, R, I, D, P>;

export interface CacheStats {
  /** Calls answered from the memory layer. */
  memoryHits: number;
  /** Calls answered from a stored entry (which then fills the memory layer). */
  diskHits: number;
  /** Computations started (including forced ones and ones that threw). */
  misses: number;
  /** Calls that waited for an in-flight computation of the same key in this process. */
  joined: number;
  /** The serialised size of the results held in the memory layer (held as bytes, or as one private copy of plain data). */
  bytesInMemory: number;
  entriesInMemory: number;
  /** Disk misses answered by the remote (the artifact verified and stored locally). */
  remoteHits: number;
  /** Disk misses the remote could not answer (not there, refused, or the server failing). */
  remoteMisses: number;
  /** Results uploaded (counted when the background upload ends). */
  remoteUploads: number;
  /** Remote trouble: a refused artifact, a failing server on a lookup, a failed upload (each also a warning). */
  remoteErrors: number;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Arguments of a call: those with a default in `defaults` may be omitted. */
export type CallArgs<A, D> = Simplify<Omit<A, keyof D & keyof A> & Partial<Pick<A, keyof D & keyof A>>>;

/** The argument list of a call: the object may be left out only when every argument in it is optional. */
export type CallParams<A> = {} extends A ? [args?: A] : [args: A];

export type CachableFunction<A extends object = any, R = unknown> = (args: A, ctx: TaskContext) => R;

export interface CachedFunction<A extends object, R> {
  /** Returns the stored result for these arguments, computing and storing it on a miss. */
  (...args: CallParams<A>): Promise<Awaited<R>>;
  /** `make({ force: true, ...args })` recomputes and replaces the entry; without `force` it is a plain call. */
  make(args: A & { force?: boolean }): Promise<Awaited<R>>;
  /** The key (SHA-256 hex) these arguments map to. */
  key(...args: CallParams<A>): string;
  /** The stored entry's metadata, or null when there is none. */
  inspect(...args: CallParams<A>): Promise<EntryMeta | null>;
  /** The stored entry's output folder (what the function wrote into `ctx.outDir`), or null when there is no entry. */
  outDir(...args: CallParams<A>): string | null;
  /** Removes every stored entry of this function (in the current data folder) and empties its memory layer; returns how many entries went. */
  clear(): Promise<number>;
  stats(): CacheStats;
  readonly taskName: string;
  readonly module: string;
}
