/**
 * The shapes a user writes in cachex.config.ts. The loose shapes (`ParamSpec`,
 * `TaskSpec`, `CachexConfig`) are what the loader checks at run time;
 * `defineConfig` types each task against its own params (see infer.ts).
 */
import type { RemoteConfig } from '../store/remote/settings.js';
import type { ConfigTasks } from './infer.js';

export type ParamType = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'file' | 'dir';

export interface ParamSpec {
  type: ParamType;
  description?: string;
  required?: boolean;
  default?: unknown;
  /** Allowed values of an `enum` param. */
  choices?: readonly string[];
  /** Repeatable flag (`--tag a --tag b`); the value is an array. */
  list?: boolean;
  /** How a `file`/`dir` param enters the key: its content (default), its path, or both. */
  keyBy?: 'content' | 'path' | 'both';
}

export type ParamsSchema = Record<string, ParamSpec>;

export interface TaskContext {
  /** Empty folder the task writes its output files into. */
  outDir: string;
  task: string;
  key: string;
}

interface TaskBase {
  description?: string;
  /** Bump to invalidate every entry of this task. */
  version?: number | string;
  /** Folder name under cache/ (default `tasks`). */
  module?: string;
  params?: ParamsSchema;
  /** Param names that do not enter the key. */
  ignore?: readonly string[];
  /** Environment variables whose values (as digests) enter the key. */
  env?: readonly string[];
  /** Store runs that exit non-zero too (replayed with their exit code). */
  cacheFailures?: boolean;
  /** Paths relative to the output folder that must exist for the run to be stored. */
  outputs?: readonly string[];
  /** An entry older than this is a miss, recomputed and replaced: milliseconds or `2h`, `30d`. */
  maxAge?: number | string;
  /** Max age of entries of failed runs (stored with cacheFailures); defaults to maxAge. */
  failureMaxAge?: number | string;
  /** Past maxAge, answer the old entry at once for this long and refresh it (after the reply, for the CLI). */
  staleWhileRevalidate?: number | string;
}

export interface FunctionTask extends TaskBase {
  run: (params: any, ctx: TaskContext) => unknown;
  command?: never;
  tool?: never;
}

/**
 * What identifies a command task's program besides its argv. By default: the executable's
 * content and that of the shared libraries it loads from its own folders ($ORIGIN in its
 * RUNPATH/RPATH).
 */
export interface ToolSpec {
  /** More files (paths or globs, relative to the config's folder) whose content enters the key. */
  inputs?: readonly string[];
  /** Arguments for the task's own executable (e.g. ['--version']): its output enters the key instead of any content. */
  versionCommand?: readonly string[];
}

export interface CommandTask extends TaskBase {
  /** argv: `{param}` is one argument, `{out}` the output folder, `${VAR}` an environment variable. */
  command: readonly string[];
  run?: never;
  tool?: ToolSpec;
}

export type TaskSpec = FunctionTask | CommandTask;

export interface CachexConfig {
  /** Data folder, relative to the config file (default `<project root>/.cachex`). */
  dataFolder?: string;
  /** After a run stores an entry and the store exceeds this, least-recently-used entries are pruned (`5GB` or bytes; CACHEX_MAX_SIZE wins). */
  maxSize?: number | string;
  /** Entries unused for this long are pruned automatically after a store step (`30d` or milliseconds). */
  pruneUnusedFor?: number | string;
  /** A store step keeps at least this free on the data folder's disk, pruning least-recently-used entries first (`1GB`, `5%`, bytes, 0 = off; CACHEX_MIN_FREE_SPACE wins; default 1 GiB or 5 % of the disk, whichever is less). */
  minFreeSpace?: number | string;
  tasks: Record<string, TaskSpec>;
  /** The remote tier (issue 9); its URL and secrets come from the environment only. */
  remote?: RemoteConfig;
}

/**
 * Types a config: each task's `run` receives its params as declared (`file` →
 * string, `number` → number, `enum` → the union of its choices, `list` → an
 * array; optional unless required, defaulted, boolean or a list), `ignore`
 * may name only params, a default must fit its param.
 */
export function defineConfig<const P extends Record<string, unknown>>(config: {
  /** Data folder, relative to the config file (default `<project root>/.cachex`). */
  dataFolder?: string;
  /** After a run stores an entry and the store exceeds this, least-recently-used entries are pruned (`5GB` or bytes; CACHEX_MAX_SIZE wins). */
  maxSize?: number | string;
  /** Entries unused for this long are pruned automatically after a store step (`30d` or milliseconds). */
  pruneUnusedFor?: number | string;
  /** A store step keeps at least this free on the data folder's disk, pruning least-recently-used entries first (`1GB`, `5%`, bytes, 0 = off; CACHEX_MIN_FREE_SPACE wins; default 1 GiB or 5 % of the disk, whichever is less). */
  minFreeSpace?: number | string;
  tasks: ConfigTasks<P>;
  remote?: RemoteConfig;
}): CachexConfig {
  return config as CachexConfig;
}
