import type { ParamsSchema, TaskSpec, ToolSpec } from '../config/types.js';
import { sha256 } from '../key/digest.js';

/** A registered task as the core sees it, whichever door (config or library) it came through. */
export interface TaskDef {
  name: string;
  module: string;
  kind: 'function' | 'command' | 'exec';
  version: string | number | null;
  params: ParamsSchema;
  ignore: readonly string[];
  env: readonly string[];
  cacheFailures: boolean;
  outputs: readonly string[];
  /** SHA-256 of the function's source (function tasks). */
  codeDigest?: string;
  command?: readonly string[];
  /** What identifies a command task's program besides its argv (config `tool`). */
  tool?: ToolSpec;
  run?: TaskSpec['run'];
}

export function taskFromSpec(name: string, spec: TaskSpec): TaskDef {
  const isCommand = Array.isArray(spec.command);
  return {
    name,
    module: spec.module ?? 'tasks',
    kind: isCommand ? 'command' : 'function',
    version: spec.version ?? null,
    params: spec.params ?? {},
    ignore: spec.ignore ?? [],
    env: spec.env ?? [],
    cacheFailures: spec.cacheFailures ?? false,
    outputs: spec.outputs ?? [],
    codeDigest: isCommand ? undefined : sha256(String(spec.run)),
    command: spec.command,
    tool: spec.tool,
    run: spec.run,
  };
}
