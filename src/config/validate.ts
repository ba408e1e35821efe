import { ConfigError } from '../errors.js';
import type { CachexConfig, ParamSpec, TaskSpec, ToolSpec } from './types.js';
import { flagName } from '../tasks/flags.js';

const PARAM_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'enum', 'file', 'dir']);
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

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
]);

function fail(where: string, problem: string): never {
  throw new ConfigError(`${where}: ${problem}.`);
}

/** Checks a loaded config and returns it typed; every problem is one sentence. */
export function validateConfig(value: unknown, file: string): CachexConfig {
  if (!value || typeof value !== 'object') fail(file, 'the default export must be defineConfig({ tasks: { … } })');
  const config = value as CachexConfig;
  if (!config.tasks || typeof config.tasks !== 'object')
    fail(file, 'the config has no `tasks` object; add `tasks: { name: { … } }`');
  if (config.dataFolder !== undefined && typeof config.dataFolder !== 'string')
    fail(file, '`dataFolder` must be a string path');
  for (const [name, task] of Object.entries(config.tasks)) validateTask(name, task, file);
  return config;
}

function validateTask(name: string, task: TaskSpec, file: string): void {
  const where = `${file}: task "${name}"`;
  if (!SEGMENT.test(name)) fail(where, 'task names may use letters, digits, ".", "_" and "-" only');
  if (!task || typeof task !== 'object') fail(where, 'must be an object with `run` or `command`');
  const hasRun = typeof task.run === 'function';
  const hasCommand = Array.isArray(task.command);
  if (hasRun === hasCommand) fail(where, 'needs exactly one of `run` (a function) or `command` (an argv array)');
  if (task.module !== undefined && (typeof task.module !== 'string' || !SEGMENT.test(task.module))) {
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
