import { stopChild } from './interrupt.js';
import type { RunIo, RunResult } from './types.js';

/**
 * Runs an argv without a shell: each element reaches the program as exactly
 * one argument, whatever characters it holds.
 */
export async function runCommand(argv: string[], io: RunIo, cwd: string): Promise<RunResult> {
  const { execa } = await import('execa');
  const child = execa(argv[0], argv.slice(1), {
    cwd,
    shell: false,
    reject: false,
    stdin: 'inherit',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    stripFinalNewline: false,
    encoding: 'buffer',
    windowsHide: true,
  });
  child.stdout?.on('data', (chunk: Buffer) => io.stdout.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => io.stderr.write(chunk));
  const stop = io.interrupt?.onCancel((signal) => stopChild(child, signal));
  let result;
  try {
    result = await child;
  } finally {
    stop?.();
  }
  if (result.failed && result.exitCode === undefined && !result.signal) {
    const message = `cachex: could not start ${argv[0]}: ${result.shortMessage ?? result.message}\n`;
    io.stderr.write(Buffer.from(message));
    return { exitCode: 127, signal: null, argv };
  }
  return { exitCode: result.exitCode ?? 1, signal: result.signal ?? null, argv };
}
