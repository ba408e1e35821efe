import { distFile } from '../package-root.js';
import type { TaskContext } from '../config/types.js';
import type { RunIo, RunResult } from './types.js';

/** Runs a config task in a worker thread (see function-worker.ts). */
export async function runFunctionInWorker(
  configFile: string,
  params: Record<string, unknown>,
  ctx: TaskContext,
  io: RunIo,
): Promise<RunResult> {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(distFile('cli', 'function-worker.cjs'), {
    // CACHEX_DEBUG is set by --debug as well: the worker then prints the full stack of what the task throws.
    workerData: {
      configFile,
      task: ctx.task,
      params,
      ctx,
      debug: Boolean(process.env.CACHEX_DEBUG) && process.env.CACHEX_DEBUG !== '0',
    },
    stdout: true,
    stderr: true,
  });
  const ended = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => stream.on('end', resolve));
  worker.stdout.on('data', (chunk: Buffer) => io.stdout.write(chunk));
  worker.stderr.on('data', (chunk: Buffer) => io.stderr.write(chunk));
  const streamsDone = Promise.all([ended(worker.stdout), ended(worker.stderr)]);
  let value: Buffer | undefined;
  let unserialisable: string | undefined;
  worker.on('message', (message: { type: string; value?: Uint8Array; message?: string }) => {
    if (message.type === 'done' && message.value)
      value = Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength);
    if (message.type === 'unserialisable') unserialisable = message.message;
  });
  const stop = io.interrupt?.onCancel(() => void worker.terminate());
  const exitCode = await new Promise<number>((resolve) => {
    worker.on('error', (err) => {
      io.stderr.write(Buffer.from(`${err.stack ?? err.message}\n`));
      resolve(1);
    });
    worker.on('exit', resolve);
  });
  stop?.();
  await streamsDone;
  const result = value ? { kind: 'serialised' as const, bytes: value, compress: true } : undefined;
  return { exitCode: exitCode || (value || unserialisable ? 0 : 1), signal: null, result, unserialisable };
}

/** Runs a function in this thread (library API); the value stays in memory. */
export async function runFunctionInProcess(
  fn: (params: any, ctx: TaskContext) => unknown,
  params: Record<string, unknown>,
  ctx: TaskContext,
): Promise<RunResult> {
  const liveValue = await fn(params, ctx);
  return { exitCode: 0, signal: null, liveValue };
}
