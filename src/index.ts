/** The library door into cachex: config types for cachex.config.ts and cached functions (library/cache.ts). */
// The config helpers are the light entry config files import (config-entry.ts); the library adds cache().
export * from './config-entry.js';
export { cache } from './library/cache.js';
export { flushRemote } from './library/remote.js';
export type {
  CacheOptions,
  CachedFunction,
  CacheStats,
  MemoryOptions,
  CallArgs,
  CallParams,
  Cached,
  CacheWrapper,
  OptionsMistake,
  CachableFunction,
} from './library/types.js';
export type { EntryMeta } from './store/meta.js';
