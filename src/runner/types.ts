import type { ChunkedValue } from '../store/chunked.js';
import type { Interrupt } from './interrupt.js';
import type { LogSink } from './log-sink.js';

/** What one execution of a task produced. */
export interface RunResult {
  exitCode: number;
  /** Set when the process was killed by a signal: such runs are never stored. */
  signal: string | null;
  /** v8-serialised return value (function tasks). */
  value?: Buffer;
  /** false: store `value` uncompressed (large library results, see encodeResult). */
  compress?: boolean;
  /** A large result split for streaming (store/chunked.ts): stored instead of `value`. */
  chunked?: ChunkedValue;
  /** The in-memory value, when the task ran in this thread (library API). */
  liveValue?: unknown;
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
