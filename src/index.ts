/** The library door into cachex: config types for cachex.config.ts and (see cache.ts) cached functions. */
export { defineConfig } from './config/types.js';
export type { CachexConfig, TaskSpec, FunctionTask, CommandTask, ParamSpec, ParamsSchema, ParamType, TaskContext } from './config/types.js';
export { CachexError, UsageError, ConfigError, StoreError } from './errors.js';
