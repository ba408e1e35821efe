/** The library door into cachex: config types for cachex.config.ts and cached functions (library/cache.ts). */
export { defineConfig } from './config/types.js';
export type {
  CachexConfig,
  TaskSpec,
  FunctionTask,
  CommandTask,
  ParamSpec,
  ParamsSchema,
  ParamType,
  TaskContext,
} from './config/types.js';
export { CachexError, UsageError, ConfigError, StoreError } from './errors.js';
export { cache } from './library/cache.js';
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
