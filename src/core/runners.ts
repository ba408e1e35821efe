import type { TaskContext } from '../config/types.js';
import { runCommand } from '../runner/command.js';
import { runFunctionInProcess, runFunctionInWorker } from '../runner/function.js';
import type { RunIo, RunResult } from '../runner/types.js';
import { expandCommand } from '../tasks/command.js';
import { collectOutputs } from '../tasks/exec-task.js';
import type { Params } from '../tasks/params.js';
import type { TaskDef } from '../tasks/task.js';

/** Which door a run came through: what core needs to pick the runner. */
export type Door =
  /** The CLI: config tasks (a command, or a function in a worker loaded from the config) and `exec`. */
  | { kind: 'cli'; cwd: string; configFile: string | null }
  /** The library: the function itself, run in this thread with these arguments. */
  | {
      kind: 'library';
      fn: (args: any, ctx: TaskContext) => unknown;
      args: Record<string, unknown>;
      /** Results whose big typed arrays reach this many bytes are streamed (store/local/chunked.ts). */
      streamThreshold: number;
      /** Wraps the call, so an interrupt can give up on it (a function in this thread cannot be stopped). */
      guard: <T>(work: Promise<T>, io: RunIo) => Promise<T>;
    };

export type Runner = (io: RunIo, ctx: TaskContext) => Promise<RunResult>;

/** The runner for `task`: chosen from its kind and the door, never passed in by the caller. */
export function runnerFor(task: TaskDef, params: Params, door: Door): Runner {
  if (door.kind === 'library') {
    return async (io, ctx) => {
      const run = await door.guard(runFunctionInProcess(door.fn, door.args, ctx), io);
      return { ...run, result: { kind: 'live', value: run.liveValue, streamThreshold: door.streamThreshold } };
    };
  }
  switch (task.kind) {
    case 'command':
      return (io) => runCommand(expandCommand(task.name, task.command!, params, io.outDir), io, door.cwd);
    case 'exec':
      return async (io) => {
        const run = await runCommand([...task.command!], io, door.cwd);
        if (run.exitCode === 0 && !run.signal) collectOutputs(door.cwd, [...task.outputs], io.outDir);
        return run;
      };
    case 'function':
      if (!door.configFile) throw new Error(`the TypeScript task ${task.name} has no config file to load it from`);
      return (io, ctx) => runFunctionInWorker(door.configFile!, params, ctx, io);
  }
}
