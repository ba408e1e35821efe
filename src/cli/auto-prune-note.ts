import { formatBytes } from '../output/format.js';

/** Said once per automatic prune that could not get under maxSize (everything left is in use). */
export function stillOverNote(remainingBytes: number, maxSizeBytes: number, flags: { quiet?: boolean }): void {
  if (flags.quiet) return;
  process.stderr.write(
    `cachex: the store takes ${formatBytes(remainingBytes)}, over maxSize ${formatBytes(maxSizeBytes)}, but what is left is in use (held by a run or used in the last minute); it is pruned again on a later run.\n`,
  );
}
