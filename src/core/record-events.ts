import { EventLog, type NewEvent } from '../store/events.js';
import type { NotStoredReason } from '../store/entry-store.js';
import type { RunOutcome, RunRequest } from './run-task.js';

/** A not-stored reason as the statistics count it (short, no paths). */
function notStoredKey(reason: NotStoredReason): string {
  switch (reason.kind) {
    case 'failed':
      return `failed (exit ${reason.exitCode})`;
    case 'interrupted':
    case 'killed':
      return `${reason.kind} (${reason.signal})`;
    default:
      return reason.kind;
  }
}

/** How many of the task's entries a miss compares itself with for its reason (`why` compares all). */
const MISS_REASON_ENTRIES = 50;

/**
 * Why this run missed, in a few words, from the task's other stored entries.
 * Runs only after a miss executed, so a hit never pays for it; never throws.
 */
async function reasonOf(req: RunRequest, outcome: RunOutcome): Promise<string | null> {
  if (outcome.status === 'forced') return 'forced';
  if (outcome.expired) return 'older than its max age';
  try {
    // Loaded here: a hit never needs them.
    const [{ rankEntries, missReason }, { storedEntriesOf }] = await Promise.all([
      import('../key/diff.js'),
      import('../insight/entries.js'),
    ]);
    // The most recent entries only: a function called with thousands of argument sets would
    // otherwise read every entry's meta.yaml on every miss (quadratic over a batch of misses).
    // Not this run's own entry, which is not read (10 000 outputs would be 10 000 records to parse for nothing).
    const entries = await storedEntriesOf(req.store, req.task, {
      withoutSizes: true,
      newest: MISS_REASON_ENTRIES,
      exceptKey: req.key,
    });
    // A first run has nothing to compare with: no reason, rather than an obvious one.
    if (!entries.length) return null;
    const [nearest] = rankEntries({ inputs: req.inputs, params: req.params }, entries, { schema: req.task.params });
    return missReason(nearest.differences);
  } catch {
    return null;
  }
}

/** One EventLog per data folder: a library process records a hit per call. */
const logs = new Map<string, EventLog>();
function eventLogOf(root: string): EventLog {
  let log = logs.get(root);
  if (log === undefined) {
    if (logs.size >= 16) logs.clear();
    logs.set(root, (log = new EventLog(root)));
  }
  return log;
}

/**
 * Appends the run's events to the statistics log (one for the lookup, one for
 * the store step) and gives a miss its reason. Best effort: never fails a run.
 */
export async function recordRun(req: RunRequest, outcome: RunOutcome, elapsedMs: number): Promise<RunOutcome> {
  if (req.record === false) return outcome;
  const log = eventLogOf(req.store.root);
  const base = { task: outcome.ref.task, module: outcome.ref.module, key: outcome.ref.key };
  if (outcome.status === 'hit' && !req.refreshing) {
    const outputs = outcome.entry?.meta().outputs;
    let bytes: number | undefined;
    if (outputs) {
      bytes = 0;
      for (const o of outputs) if (o.type === 'file') bytes += o.size;
    }
    const hit: NewEvent = {
      task: base.task,
      module: base.module,
      key: base.key,
      event: 'hit',
      tier: (outcome.source ?? 'local') as NewEvent['tier'],
      ms: elapsedMs,
      savedMs: outcome.durationMs,
    };
    if (bytes !== undefined) hit.bytes = bytes;
    log.append(hit);
    return outcome;
  }
  const reason = req.refreshing ? 'refresh of a stale entry' : await reasonOf(req, outcome);
  // The call that found the entry stale was counted as a hit already.
  if (!req.refreshing)
    log.append({ ...base, event: outcome.status, ...(reason && outcome.status === 'miss' && { reason }) });
  const storage = outcome.storage;
  if (storage?.kind === 'stored')
    log.append({ ...base, event: 'stored', ms: outcome.durationMs, bytes: storage.bytes });
  else if (storage?.kind === 'not-stored')
    log.append({ ...base, event: 'not-stored', ms: outcome.durationMs, reason: notStoredKey(storage.reason) });
  else if (storage?.kind === 'store-failed')
    log.append({ ...base, event: 'not-stored', ms: outcome.durationMs, reason: 'store failed' });
  return { ...outcome, missReason: reason };
}
