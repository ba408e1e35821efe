import { CachexError, UsageError } from '../errors.js';
import { placementWords } from '../output/placement.js';
import { PlacementRefused } from '../store/place.js';
import { freshLine, paint } from '../output/terminal.js';

/** Prints an error as one sentence (the stack only with --debug) and returns its exit code. */
export function reportError(err: unknown, debug: boolean): number {
  // The store names no CLI flag; here, where the flags were typed, a refused placement is worded with them.
  if (err instanceof PlacementRefused) err = new UsageError(placementWords(err.problem), { cause: err });
  if (err instanceof CachexError) {
    process.stderr.write(`${freshLine()}${paint('red', 'error:')} ${err.message}\n`);
    if (debug && err.cause instanceof Error) process.stderr.write(`${err.cause.stack}\n`);
    else if (debug) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(
    `${freshLine()}${paint('red', 'error:')} ${e?.message ?? String(err)} (an unexpected error; run with --debug for details).\n`,
  );
  if (debug) process.stderr.write(`${e?.stack}\n`);
  return 1;
}
