import type { RunOutcome } from '../core/run-task.js';
import { statusLine } from '../output/status.js';

/**
 * A stale hit was answered; refresh its entry now, in this process, so no
 * process outlives cachex. The reply is already printed; only the status goes to stderr.
 */
export async function refreshAfterReply(outcome: RunOutcome, quiet: boolean): Promise<void> {
  if (!outcome.refresh) return;
  if (!quiet) process.stderr.write(`refreshing the stale entry of ${outcome.ref.task} after the reply…\n`);
  const fresh = await outcome.refresh();
  if (!quiet) process.stderr.write(`${statusLine(fresh)}\n`);
}
