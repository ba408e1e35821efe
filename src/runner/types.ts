import type { ResultPayload } from '../store/entry-store.js';
import type { Interrupt } from './interrupt.js';
import type { LogSink } from './log-sink.js';

/** What one execution of a task produced. */
export interface RunResult {
  exitCode: number;
  /** Set when the process was killed by a signal: such runs are never stored. */
  signal: string | null;
  /** The task's return value, for the store to encode (function tasks). */
  result?: ResultPayload;
  /** The in-memory value, when the task ran in this thread (library API). */
  liveValue?: unknown;
  /** Why the return value could not be serialised, when the worker could not. */
  unserialisable?: string;
  /** The argv as run (command tasks). */
  argv?: string[];
}

export interface RunIo {
  outDir: string;
  stdout: LogSink;
  stderr: LogSink;
  /** Where a runner registers how to stop its work on Ctrl-C / SIGTERM (absent: nothing to stop). */
  interrupt?: Pick<Interrupt, 'onCancel'>;
}
