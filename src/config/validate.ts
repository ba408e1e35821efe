import { parseMinFreeSpace } from './free-space.js';
import { ConfigError } from '../errors.js';
import type { CachexConfig, ParamSpec, TaskSpec, ToolSpec } from './types.js';
import { flagName } from '../tasks/flags.js';
import { isSegment } from '../store/layout.js';
import { nearestName } from './nearest.js';
import { configDuration, taskLifetime } from './lifetime.js';
import { configSize } from './caps.js';

const PARAM_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'enum', 'file', 'dir']);
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Flags that `cachex run` owns; a param may not take them (or their `--no-` forms). */
export const RESERVED_FLAGS = new Set([
  'force',
  'dry-run',
  'out',
  'link',
  'publish',
  'json',
  'quiet',
  'help',
  'version',
  'config',
  'data-folder',
  'params',
  'color',
  'max-age',
  'stale',
  'explain',
]);

/** The keys each level of a config may use; anything else is a typo or an option from another tool. */
export const CONFIG_KEYS = ['dataFolder', 'maxSize', 'pruneUnusedFor', 'minFreeSpace', 'tasks', 'remote'] as const;
export const REMOTE_KEYS = ['signing', 'namespace', 'lease', 'maxArtifactSize'] as const;
export const TASK_KEYS = [
  'description',
  'version',
  'module',
  'params',
  'ignore',
  'env',
  'cacheFailures',
  'outputs',
  'maxAge',
  'failureMaxAge',
  'staleWhileRevalidate',
  'tool',
  'run',
  'command',
] as const;
export const PARAM_KEYS = ['type', 'description', 'required', 'default', 'choices', 'list', 'keyBy'] as const;

function fail(where: string, problem: string): never {
  throw new ConfigError(`${where}: ${problem}.`);
}

/** Refuses a key that is not one of `known`, naming the nearest valid one. */
function refuseUnknownKeys(where: string, value: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    fail(
      where,
      near
        ? `"${key}" is not ${what} (did you mean "${near}"?); rename or remove it`
        : `"${key}" is not ${what}; use one of ${known.join(', ')}`,
    );
  }
}

/** Checks a loaded config and returns it typed; every problem is one sentence. */
export function validateConfig(value: unknown, file: string): CachexConfig {
  if (!value || typeof value !== 'object') fail(file, 'the default export must be defineConfig({ tasks: { … } })');
  const config = value as CachexConfig;
  refuseUnknownKeys(file, config, CONFIG_KEYS, 'a config key');
  if (!config.tasks || typeof config.tasks !== 'object')
    fail(file, 'the config has no `tasks` object; add `tasks: { name: { … } }`');
  if (config.dataFolder !== undefined && typeof config.dataFolder !== 'string')
    fail(file, '`dataFolder` must be a string path');
  if (config.remote !== undefined) validateRemote(config.remote, file);
  configSize(file, 'maxSize', config.maxSize);
  configDuration(file, 'pruneUnusedFor', config.pruneUnusedFor);
  if (config.minFreeSpace !== undefined) parseMinFreeSpace(config.minFreeSpace, `${file}: \`minFreeSpace\``);
  for (const [name, task] of Object.entries(config.tasks)) validateTask(name, task, file);
  return config;
}

/** The `remote` section: types only; the rules that need the environment are in store/remote/settings.ts. */
function validateRemote(remote: unknown, file: string): void {
  if (!remote || typeof remote !== 'object' || Array.isArray(remote))
    fail(file, '`remote` must be an object like { signing: true, namespace: "main" }');
  const where = `${file}: remote`;
  refuseUnknownKeys(where, remote, REMOTE_KEYS, 'a remote option');
  const r = remote as Record<string, unknown>;
  for (const key of ['signing', 'lease'] as const)
    if (r[key] !== undefined && typeof r[key] !== 'boolean') fail(where, `\`${key}\` must be true or false`);
  if (r.namespace !== undefined && typeof r.namespace !== 'string') fail(where, '`namespace` must be a string');
  if (r.maxArtifactSize !== undefined && (typeof r.maxArtifactSize !== 'number' || !(r.maxArtifactSize > 0)))
    fail(where, '`maxArtifactSize` must be a positive number of bytes');
}

function validateTask(name: string, task: TaskSpec, file: string): void {
  const where = `${file}: task "${name}"`;
  if (!isSegment(name)) fail(where, 'task names may use letters, digits, ".", "_" and "-" only');
  if (!task || typeof task !== 'object') fail(where, 'must be an object with `run` or `command`');
  refuseUnknownKeys(where, task, TASK_KEYS, 'a task option');
  const hasRun = typeof task.run === 'function';
  const hasCommand = Array.isArray(task.command);
  if (hasRun === hasCommand) fail(where, 'needs exactly one of `run` (a function) or `command` (an argv array)');
  if (task.module !== undefined && (typeof task.module !== 'string' || !isSegment(task.module))) {
    fail(where, '`module` may use letters, digits, ".", "_" and "-" only');
  }
  const params = task.params ?? {};
  const flags = new Map<string, string>();
  for (const [param, spec] of Object.entries(params)) {
    validateParam(`${where}, param "${param}"`, param, spec);
    const flag = flagName(param);
    if (RESERVED_FLAGS.has(flag) || (spec.type === 'boolean' && RESERVED_FLAGS.has(`no-${flag}`))) {
      fail(`${where}, param "${param}"`, `--${flag} clashes with a cachex option; rename the param`);
    }
    const other = flags.get(flag);
    if (other) fail(where, `params "${other}" and "${param}" both become --${flag}; rename one`);
    flags.set(flag, param);
  }
  for (const ignored of task.ignore ?? []) {
    if (!(ignored in params)) fail(where, `ignore lists "${ignored}", which is not a param`);
  }
  for (const variable of task.env ?? []) {
    if (typeof variable !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
      fail(where, `env entry ${JSON.stringify(variable)} is not a variable name`);
  }
  if (hasCommand) validateCommand(where, task.command as readonly string[], params);
  taskLifetime(where, task);
  if (task.tool !== undefined) {
    if (!hasCommand) fail(where, '`tool` describes the program of a command task; remove it from this `run` task');
    validateTool(where, task.tool);
  }
}

const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '' && !s.includes('\0'));

function validateTool(where: string, tool: ToolSpec): void {
  if (!tool || typeof tool !== 'object' || Array.isArray(tool))
    fail(where, "`tool` must be an object: { inputs?: ['paths or globs'], versionCommand?: ['--version'] }");
  for (const option of Object.keys(tool)) {
    if (option !== 'inputs' && option !== 'versionCommand')
      fail(where, `\`tool\` has no option "${option}"; it takes inputs and versionCommand`);
  }
  if (tool.inputs !== undefined && !isStringList(tool.inputs))
    fail(where, '`tool.inputs` must be a list of paths or globs (non-empty strings), relative to the config');
  if (tool.versionCommand !== undefined && (!isStringList(tool.versionCommand) || tool.versionCommand.length === 0))
    fail(
      where,
      "`tool.versionCommand` must be a non-empty list of arguments for the task's executable, e.g. ['--version']",
    );
}

/** Checks one param spec (also used for the params of library-cached functions). */
export function validateParam(where: string, name: string, spec: ParamSpec): void {
  if (!NAME.test(name)) fail(where, 'param names start with a letter and use letters, digits, "_" and "-"');
  // A misspelt key first: `{ tpye: 'file' }` is a typo more than a missing type.
  if (spec && typeof spec === 'object') refuseUnknownKeys(where, spec, PARAM_KEYS, 'a param option');
  if (!spec || typeof spec !== 'object' || !PARAM_TYPES.has(spec.type)) {
    fail(where, `\`type\` must be one of ${[...PARAM_TYPES].join(', ')}`);
  }
  if (
    spec.type === 'enum' &&
    (!Array.isArray(spec.choices) || spec.choices.length === 0 || !spec.choices.every((c) => typeof c === 'string'))
  ) {
    fail(where, 'an enum needs `choices`, a non-empty list of strings');
  }
  if (spec.keyBy !== undefined && !['content', 'path', 'both'].includes(spec.keyBy))
    fail(where, "`keyBy` must be 'content', 'path' or 'both'");
  if (spec.keyBy !== undefined && spec.type !== 'file' && spec.type !== 'dir')
    fail(where, '`keyBy` only applies to file and dir params');
  if (spec.required && spec.default !== undefined) fail(where, 'a required param cannot have a default');
}

function validateCommand(where: string, argv: readonly string[], params: Record<string, ParamSpec>): void {
  if (argv.length === 0 || !argv.every((a) => typeof a === 'string'))
    fail(where, '`command` must be a non-empty array of strings');
  for (const arg of argv) {
    for (const match of arg.matchAll(/\{([^}]*)\}/g)) {
      if (arg[match.index - 1] === '$') continue; // ${VAR}
      const name = match[1];
      if (name !== 'out' && !(name in params)) fail(where, `command uses {${name}}, which is not a param (or {out})`);
    }
  }
}
