/**
 * What `import … from 'cachex'` means inside a cachex.config file loaded by the
 * CLI: the config helpers without the library runtime, so that a cache hit does
 * not load the `cache()` machinery it never uses. Code outside the config
 * imports the full package entry (index.ts).
 */
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
