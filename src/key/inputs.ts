import path from 'node:path';
import type { ParamSpec } from '../config/types.js';
import type { Params, ParamValue } from '../tasks/params.js';
import type { TaskDef } from '../tasks/task.js';
import { realName } from '../tasks/real-names.js';
import { envRefs, expandCommand, resolveExecutable } from '../tasks/command.js';
import { type DigestCache, sha256 } from './digest.js';
import { keyOf } from './encode.js';
import { keyWorkingFolder } from './working-folder.js';
import { type ToolInputs, toolIdentity } from './tool.js';

/** Bumped when the encoding changes, so old entries can never be mistaken for new ones. */
export const KEY_FORMAT = 1;

export interface KeyInputs {
  format: number;
  module: string;
  task: string;
  kind: TaskDef['kind'];
  version: string | number | null;
  code?: string;
  command?: readonly string[];
  /** `digest` is absent when a tool.versionCommand's output stands for the executable */
  executable?: { path: string; digest?: string };
  /**
   * Command tasks and exec only: the working folder relative to the project
   * root (key/working-folder.ts). Absent for TypeScript tasks and library
   * functions, whose keys stay as they were.
   */
  workingFolder?: string;
  /** Command tasks only: the libraries shipped with the executable, tool.inputs, tool.versionCommand. */
  tool?: ToolInputs;
  params: Record<string, unknown>;
  /** Digest of each declared variable's value (never the value: it may be a secret); null when unset. */
  env: Record<string, string | null>;
}

export interface KeyContext {
  digests: DigestCache;
  cwd: string;
  projectRoot: string;
}

function pathInput(spec: ParamSpec, value: string, ctx: KeyContext): unknown {
  const keyBy = spec.keyBy ?? 'content';
  // A non-UTF-8 name is keyed by its real name, not the /proc alias it is opened through.
  const real = realName(value, ctx.cwd);
  const rel = path.relative(ctx.projectRoot, real);
  const shownPath = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : real;
  const digest = spec.type === 'dir' ? ctx.digests.treeDigest(value) : ctx.digests.digest(value);
  if (keyBy === 'content') return { digest };
  if (keyBy === 'path') return { path: shownPath };
  return { path: shownPath, digest };
}

/** A param outside the schema (an extra argument of a library call) is keyed by its value. */
function paramInput(spec: ParamSpec | undefined, value: ParamValue, ctx: KeyContext): unknown {
  if (spec?.type !== 'file' && spec?.type !== 'dir') return value;
  if (Array.isArray(value)) return value.map((v) => pathInput(spec, String(v), ctx));
  return pathInput(spec, String(value), ctx);
}

/** Everything that defines the work of `task` with `params`, and the key derived from it. */
export function computeKey(task: TaskDef, params: Params, ctx: KeyContext): { key: string; inputs: KeyInputs } {
  const keyParams: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (task.ignore.includes(name)) continue;
    keyParams[name] = paramInput(task.params[name], value, ctx);
  }
  const envNames = new Set(task.env);
  const inputs: KeyInputs = {
    format: KEY_FORMAT,
    module: task.module,
    task: task.name,
    kind: task.kind,
    version: task.version,
    params: keyParams,
    env: {},
  };
  if (task.kind === 'function') inputs.code = task.codeDigest;
  if (task.command) {
    inputs.command = task.command;
    inputs.workingFolder = keyWorkingFolder(ctx.cwd, ctx.projectRoot);
    for (const name of envRefs(task.command.slice(1))) envNames.add(name);
    const argv0 = expandCommand(task.name, task.command.slice(0, 1), params, '')[0];
    const resolved = resolveExecutable(task.name, argv0, ctx.cwd);
    const identity = toolIdentity(resolved, task.tool, { ...ctx, configDir: ctx.projectRoot, task: task.name });
    inputs.executable = identity.executable;
    if (identity.tool) inputs.tool = identity.tool;
  }
  for (const name of [...envNames].sort()) {
    const value = process.env[name];
    inputs.env[name] = value === undefined ? null : sha256(value);
  }
  return { key: keyOfInputs(inputs), inputs };
}

/** The executable's path is shown but not hashed: moving the same binary keeps its entries. */
export function keyOfInputs(inputs: KeyInputs): string {
  return keyOf({ ...inputs, executable: inputs.executable && { digest: inputs.executable.digest } });
}
