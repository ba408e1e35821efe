import { CachexError } from '../errors.js';
import type { EntryHandle, LoadedEntry } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import type { OutputRecord } from '../store/meta.js';
import { placeOutputs, SourceVanished } from '../store/place.js';
import { type Freshness, freshness } from './lifetime.js';
import { recordRun } from './record-events.js';
import type { RunOutcome, RunRequest } from './run-task.js';

/**
 * A fresh hit, finished and recorded exactly as runTask would; null, having
 * done and recorded nothing, when runTask has work to do (a miss, a corrupt,
 * expired or stale entry, an entry that vanished while being placed). For a
 * caller that can still hand the run over to a fuller path; it loads nothing
 * a miss needs (no runner, no lock).
 */
export async function runIfFreshHit(req: RunRequest): Promise<RunOutcome | null> {
  if (req.force) return null;
  // hrtime, not performance.now(): the first use of `performance` loads perf_hooks, a millisecond of a hit.
  const started = process.hrtime.bigint();
  const ref: EntryRef = { module: req.task.module, task: req.task.name, key: req.key };
  const found = await req.store.lookup(ref, req.inputs, { record: false });
  if (found.status !== 'hit' || freshness(found.entry.meta(), req.lifetime) !== 'fresh') return null;
  const done = finishHit(req, found.entry, found.source, 'fresh');
  if (done.placementError instanceof SourceVanished) return null;
  req.store.recordHit(ref, found.entry.identity); // as the lookup runTask makes records every hit it finds
  return recordRun(req, done, Number(process.hrtime.bigint() - started) / 1e6);
}

export async function lookup(
  req: RunRequest,
  ref: EntryRef,
  repair: boolean,
): Promise<{ entry: LoadedEntry; source: 'local' | 'remote'; fresh: Freshness } | null> {
  const found = await req.store.lookup(ref, req.inputs, { repair });
  if (found.status === 'hit')
    return { entry: found.entry, source: found.source, fresh: freshness(found.entry.meta(), req.lifetime) };
  // Said once, by the first look; the look under the lock only sets the entry aside.
  if (found.corrupt && !repair) req.events?.onCorrupt?.(found.corrupt.file, found.corrupt.reason);
  return null;
}

export function finishHit(
  req: RunRequest,
  entry: LoadedEntry,
  source: 'local' | 'remote',
  fresh: Freshness,
  /** Runs the request again (runTask), for a stale hit's refresh. */
  rerun?: (req: RunRequest) => Promise<RunOutcome>,
): RunOutcome {
  const meta = entry.meta();
  const placed = place(req, { outDir: entry.outDir(), outputs: meta.outputs }, entry, true);
  return {
    status: 'hit',
    source,
    ref: entry.ref,
    exitCode: meta.exitCode,
    durationMs: meta.durationMs,
    storage: null,
    entry,
    stdout: entry.stdout,
    stderr: entry.stderr,
    result: entry.result,
    liveValue: entry.value,
    ...placed,
    remote: req.store.remoteReport?.(entry.ref),
    // Past its max age: the refresh finds it expired under the lock (or fresh, when another run refreshed it first).
    ...(fresh === 'stale' &&
      rerun && {
        refresh: () =>
          rerun({
            ...req,
            lifetime: { ...req.lifetime, staleMs: 0 },
            placement: {},
            live: { stdout: null, stderr: null },
            events: {},
            refreshing: true,
          }),
      }),
  };
}

/** Places outputs as the request asks; a failure is reported beside the outcome, never as a store failure. */
export function place(
  req: RunRequest,
  source: { outDir: string; outputs: OutputRecord[] },
  entry: EntryHandle | null,
  hit: boolean,
): Pick<RunOutcome, 'placement' | 'placementError'> {
  const placement = req.placement;
  // Nothing to place (every library call): where the outputs are, as placeOutputs would say.
  if (!placement || (!placement.out && !placement.publish && !placement.restoreTo)) {
    const outDir = entry && (entry.outputCount?.() ?? source.outputs.length) > 0 ? source.outDir : null;
    return { placement: { outDir, published: null, publishSkipped: null, outReport: null }, placementError: null };
  }
  try {
    const placed = placeOutputs({ ...source, stored: Boolean(entry), hit }, placement, req.store.root);
    return { placement: placed, placementError: null };
  } catch (err) {
    if (err instanceof CachexError) return { placement: null, placementError: err };
    throw err;
  }
}
