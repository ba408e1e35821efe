/** The shapes a user writes in cachex.config.ts; `defineConfig` gives them types. */

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
}

export interface FunctionTask extends TaskBase {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
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
  /** Data folder, relative to the config file (default `.cachex`). */
  dataFolder?: string;
  tasks: Record<string, TaskSpec>;
}

export function defineConfig(config: CachexConfig): CachexConfig {
  return config;
}
