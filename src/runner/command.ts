import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnArgs } from './byte-args.js';
import { GRACE_MS } from './interrupt.js';
import { signalGroup, stopGroup } from './process-group.js';
import type { RunIo, RunResult } from './types.js';

/** Once a stopped task's group is gone, how long its output may still take to drain from the pipes. */
const DRAIN_MS = 500;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

/**
 * Runs an argv without a shell: each element reaches the program as exactly
 * one argument, whatever characters it holds (raw bytes of a non-UTF-8 file
 * name included: see byte-args.ts). The program runs in its own
 * process group, so that stopping it (Ctrl-C, SIGTERM to cachex) reaches the
 * children it started too, not only the program itself.
 */
export async function runCommand(argv: string[], io: RunIo, cwd: string): Promise<RunResult> {
  const { file, args } = spawnArgs(argv);
  const child = spawn(file, args, {
    // The inherited working folder is the real one: a folder name that is not UTF-8 survives no string.
    cwd: cwd === process.cwd() ? undefined : cwd,
    stdio: ['inherit', 'pipe', 'pipe'],
    detached: true,
    windowsHide: true,
  });
  child.stdout?.on('data', (chunk: Buffer) => io.stdout.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => io.stderr.write(chunk));
  const pgid = child.pid;
  // Should cachex end on an error of its own while the task runs, the task must not run on without it.
  const killOnExit = () => pgid !== undefined && signalGroup(pgid, 'SIGKILL');
  process.on('exit', killOnExit);
  const ended = waitForChild(child);
  let stopping: Promise<void> | null = null;
  const unregister = io.interrupt?.onCancel((signal) => {
    if (pgid === undefined) return;
    if (signal === 'SIGKILL') signalGroup(pgid, 'SIGKILL'); // a second signal: now
    stopping ??= stopGroup(pgid, signal, GRACE_MS).then(() => closePipesSoon(child, ended));
  });
  let result: Ended;
  try {
    result = await ended;
    if (stopping) await stopping;
  } finally {
    unregister?.();
    process.removeListener('exit', killOnExit);
  }
  if (result.error) {
    const reason = result.error.code === 'ENOENT' ? 'no such file' : result.error.message;
    io.stderr.write(Buffer.from(`cachex: could not start ${argv[0]}: ${reason}\n`));
    return { exitCode: 127, signal: null, argv };
  }
  return { exitCode: exitCodeOf(result), signal: result.signal, argv };
}

/** A program killed by signal n ends with 128 + n, as a shell reports it (SIGABRT → 134). */
function exitCodeOf(ended: Ended): number {
  if (ended.code !== null) return ended.code;
  const number = ended.signal ? constants.signals[ended.signal] : undefined;
  return number ? 128 + number : 1;
}

/** Resolves when the program has exited and its output pipes are closed. */
function waitForChild(child: ChildProcess): Promise<Ended> {
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * A stopped task's group is gone, but a process that left it (setsid) may
 * hold the output pipes open for ever: close them from our side once what is
 * left in them had time to drain.
 */
async function closePipesSoon(child: ChildProcess, ended: Promise<Ended>): Promise<void> {
  const closed = await Promise.race([ended.then(() => true), sleep(DRAIN_MS).then(() => false)]);
  if (closed) return;
  child.stdout?.destroy();
  child.stderr?.destroy();
}
