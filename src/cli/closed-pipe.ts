/**
 * What a closed stdout or stderr means. For `cachex ls | head` the reader has
 * seen enough: exit quietly. For a run (`cachex run slow | grep -q step`) the
 * work must go on — its output is captured in the entry's logs anyway — so
 * later writes to the closed stream are dropped and the run ends as usual,
 * stored, with the task's exit code.
 */
let runInProgress = false;

/** Commands whose work outlives the reader of their output. */
export const RUN_COMMANDS: ReadonlySet<string> = new Set(['run', 'exec', 'rebuild']);

export function keepRunningOnClosedPipe(): void {
  runInProgress = true;
}

export function handleClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      // The stream is destroyed now, so Node drops further writes to it without another error.
      if (!runInProgress) process.exit(process.exitCode ?? 0);
    });
  }
}
