import { isPlainObject } from './args.js';
import { CachedState } from './cached.js';
import { callerModule } from './caller.js';
import { resolveOptions } from './options.js';
import type { CachableFunction, Cached, CachedFunction, CacheOptions, CacheWrapper } from './types.js';

/**
 * Wraps `fn` so that its results are stored and reused: `await f({ ... })`
 * returns the stored result for those arguments, or runs `fn` once and stores
 * what it returned. Entries live in the same store as the CLI's
 * (`DATA_FOLDER/cache/<module>/<name>/<key>/`), so `cachex ls`, `inspect`,
 * `prune` and `verify` see them.
 *
 * Calls: exactly one plain object of named arguments (or none); anything else
 * is a TypeError. Types: the argument object is the function's own, with the
 * names in `defaults` optional, and the object may be left out only when
 * every argument is optional; `ignore`, `defaults` and `params` naming
 * something the function does not take make the result uncallable, with a
 * sentence saying why. `fn` receives the arguments with defaults applied and
 * declared params normalised (a `file` param becomes an absolute path), and a
 * context `{ outDir, task, key }`.
 *
 * Key: the function's source, `version`, `module`, `name`, and every argument
 * not in `ignore` — declared `params` by their normalised value (`file`/`dir`
 * params by content), other arguments by value as canonical JSON (only JSON
 * data is accepted: a function, Date, Map or class instance as a keyed
 * argument is a TypeError). Defaults are applied first, so an omitted argument
 * and its explicit default share a key.
 *
 * Results are stored with `v8.serialize`: Maps, Sets, Dates, typed arrays,
 * BigInt, nested and circular structures survive; class instances come back as
 * plain objects (their prototype is lost), and a miss returns the very object
 * `fn` returned while a hit returns a copy. A value that cannot be serialised
 * (a function, a socket) is returned but not stored, with a process warning.
 * A function that throws stores nothing and its error reaches the caller.
 *
 * Memory layer: recent results (LRU, bounded by their serialised size,
 * `memory.maxBytes`, and by `memory.maxEntries`); every memory hit returns a
 * fresh copy, so callers cannot mutate the cache — deserialised from the held
 * bytes, or for plain data (objects, arrays, primitives) copied node by node
 * from a private master, and a primitive result as it is. Before answering
 * from memory it checks with one stat that the entry is still on disk
 * unchanged, so an entry pruned or replaced by another process is never
 * served. Concurrent
 * calls with one key in one process share one computation; across processes
 * the key's lock does the same.
 *
 * Large results: write big data into `ctx.outDir` and return paths relative to
 * it; `f.outDir(args)` gives the stored folder (absolute paths inside
 * `ctx.outDir` are only valid while `fn` runs: the folder is moved into the
 * store afterwards). When the big typed arrays of a result (Float64Array,
 * Buffer, …) add up to `streamThreshold` or more, they are written straight
 * from their memory and read straight into new arrays (store/chunked.ts): no
 * serialised copy on store or load, no memory layer. Other results above the
 * threshold are stored uncompressed (the value plus one serialised copy).
 *
 * Store: `dataFolder`, else `DATA_FOLDER` from the environment, else
 * `DATA_FOLDER` from the project's `.env`, else `<project root>/.cachex`,
 * where the project root is the CLI's (the folder of the nearest
 * cachex.config.*, else of the nearest package.json, else the cwd); the
 * config file itself is not read. Memory hits are written to
 * the entry's usage log (what `cachex ls` counts and `prune --unused-for`
 * reads) at most once a minute per entry and process.
 *
 * Ctrl-C (SIGINT/SIGTERM) during a computation: the call gives up on the
 * running function, nothing is stored, the lock is released and the signal
 * ends the program as usual; a program that handles the signal itself gets a
 * rejected call instead. (A function that never yields to the event loop
 * delays the signal until it does.)
 *
 * Also `cache(options)(fn)`.
 */
export function cache<
  A extends object,
  R,
  const I extends string = never,
  D extends object = {},
  P extends object = {},
>(fn: CachableFunction<A, R>, options?: CacheOptions<I, D, P>): Cached<A, R, I, D, P>;
export function cache<const I extends string = never, D extends object = {}, P extends object = {}>(
  options: CacheOptions<I, D, P>,
): CacheWrapper<I, D, P>;
export function cache(fnOrOptions: unknown, options?: CacheOptions): unknown {
  const module = callerModule(cache);
  if (typeof fnOrOptions === 'function') return wrap(fnOrOptions as CachableFunction, options ?? {}, module);
  if (isPlainObject(fnOrOptions) && options === undefined) {
    const preset = fnOrOptions as CacheOptions;
    return (fn: CachableFunction) => wrap(fn, preset, module);
  }
  throw new TypeError('cache() takes a function and options — cache(fn, { … }) — or options alone — cache({ … })(fn).');
}

function wrap(fn: CachableFunction, options: CacheOptions, defaultModule: string): CachedFunction<object, unknown> {
  const state = new CachedState(fn, resolveOptions(fn, options, defaultModule));
  const cached = (...args: unknown[]) => state.call(args);
  return Object.assign(cached, {
    make: (...args: unknown[]) => state.make(args),
    key: (...args: unknown[]) => state.key(args),
    inspect: (...args: unknown[]) => state.inspect(args),
    outDir: (...args: unknown[]) => state.outDir(args),
    clear: () => state.clear(),
    stats: () => state.stats(),
    taskName: state.options.task.name,
    module: state.options.task.module,
  }) as CachedFunction<object, unknown>;
}
