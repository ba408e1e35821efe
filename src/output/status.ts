import type { RunOutcome } from '../core/run-task.js';
import { formatBytes, formatDuration, shortKey } from './format.js';
import { storageWords } from './not-stored.js';
import { paint } from './terminal.js';

/** The one-line summary on stderr after every run: hit or miss, the key, time saved or taken, and whether it was stored. */
export function statusLine(outcome: RunOutcome): string {
  const id = `${outcome.ref.task} ${shortKey(outcome.ref.key)}`;
  if (outcome.status === 'hit') {
    const failed = outcome.exitCode !== 0 ? `, exit ${outcome.exitCode}` : '';
    return `${paint('green', 'hit')} ${id} (saved ${formatDuration(outcome.durationMs)}${failed})`;
  }
  const word = outcome.status === 'forced' ? 'forced' : 'miss';
  // A forced run says why in its first word; a miss names the input that changed when it is known.
  const why = outcome.status === 'miss' && outcome.missReason ? `${outcome.missReason}; ` : '';
  const ran = `${why}ran ${formatDuration(outcome.durationMs)}`;
  const storage = outcome.storage;
  if (storage?.kind === 'store-failed') return `${paint('red', word)} ${id} (${ran}, not stored)`;
  if (storage?.kind === 'stored')
    return `${paint('yellow', word)} ${id} (${ran}, stored ${formatBytes(storage.bytes)})`;
  return `${paint('yellow', word)} ${id} (${ran}, not stored: ${storageWords(storage)})`;
}
