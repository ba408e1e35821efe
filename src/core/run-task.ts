import type { CachexError } from '../errors.js';
import type { KeyInputs } from '../key/inputs.js';
import type { Owner } from '../lock/owner.js';
import { Interrupt } from '../runner/interrupt.js';
import type { EntryHandle, EntryStore, RemoteReport, Storage } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import { type Placement, type PlacementResult, SourceVanished } from '../store/place.js';
import type { Params } from '../tasks/params.js';
import type { TaskDef } from '../tasks/task.js';
import { executeStaged } from './execute.js';
import type { Lifetime } from './lifetime.js';
import { finishHit, lookup, place } from './hit.js';
import { recordRun } from './record-events.js';
import { keepCaps, type StoreCaps } from './auto-prune.js';
import { type Door, runnerFor } from './runners.js';

export interface RunEvents {
  /** Another process runs this key; we wait for it. */
  onWait?: (owner: Partial<Owner> | null) => void;
  /** A stored entry failed its integrity check and will be recomputed. */
  onCorrupt?: (file: string, reason: string) => void;
  /** The task starts executing (a miss). */
  onStart?: () => void;
}

export interface RunRequest {
  store: EntryStore;
  task: TaskDef;
  params: Params;
  key: string;
  inputs: KeyInputs;
  force: boolean;
  door: Door;
  /** Where outputs go besides the entry. */
  placement?: Placement;
  /** Where live output goes during a miss (null: captured only). */
  live: { stdout: NodeJS.WritableStream | null; stderr: NodeJS.WritableStream | null };
  events?: RunEvents;
  /** Max ages and stale-while-revalidate; absent: entries answer forever. */
  lifetime?: Lifetime;
  /** false: append no statistics events. */
  record?: boolean;
  /** The store's automatic caps, kept after a store step (never after a hit). */
  caps?: StoreCaps;
  /** Refreshing a stale entry that already answered as a hit: its store step is recorded, not a second lookup. */
  refreshing?: boolean;
}

export interface RunOutcome {
  status: 'hit' | 'miss' | 'forced';
  /** Which tier answered a hit. */
  source: 'local' | 'remote' | null;
  /** What the remote tier did (undefined without one). */
  remote?: RemoteReport;
  ref: EntryRef;
  exitCode: number;
  durationMs: number;
  /** Whether a miss became an entry (null for hits). */
  storage: Storage | null;
  /** The stored entry: the hit, the one just stored, or the one another run stored first. */
  entry: EntryHandle | null;
  /** Replayed logs (hits only; a miss streamed them live). */
  stdout: Buffer | null;
  stderr: Buffer | null;
  /** The serialised return value (function tasks), when there is one. */
  result: Buffer | null;
  liveValue?: unknown;
  placement: PlacementResult | null;
  /** Placing outputs failed (a refused target, a full disk); the entry is unaffected. */
  placementError: CachexError | null;
  /** Why a miss missed, in a few words (worked out after the run; null when unknown). */
  missReason?: string | null;
  /** The stored entry was older than its max age, so this run replaced it. */
  expired?: boolean;
  /** A stale hit (past its max age, within staleWhileRevalidate): refresh() recomputes and replaces it. */
  refresh?: () => Promise<RunOutcome>;
}

/**
 * One run, start to end: hit → the checked entry; miss → lock the key, look
 * again (another process may have stored it meanwhile), execute into a
 * staging area and hand it to the store; then place the outputs as asked.
 */
export async function runTask(req: RunRequest): Promise<RunOutcome> {
  const started = performance.now();
  const outcome = await recordRun(req, await runOnce(req), performance.now() - started);
  if (outcome.storage?.kind === 'stored') await keepCaps(req.store.root, req.caps, outcome.storage.bytes);
  return outcome;
}

async function runOnce(req: RunRequest): Promise<RunOutcome> {
  const ref: EntryRef = { module: req.task.module, task: req.task.name, key: req.key };
  if (!req.force) {
    const hit = await lookup(req, ref, false);
    // An entry pruned or replaced while its outputs were being placed: look again under the lock, where nothing removes it.
    if (hit && hit.fresh !== 'expired') {
      const done = finishHit(req, hit.entry, hit.source, hit.fresh, runTask);
      if (!(done.placementError instanceof SourceVanished)) return done;
    }
  }
  const lock = await req.store.lock(ref, { onWait: req.events?.onWait });
  const interrupt = new Interrupt();
  try {
    let expired = false;
    if (!req.force) {
      const hit = await lookup(req, ref, true);
      if (hit && hit.fresh !== 'expired') return finishHit(req, hit.entry, hit.source, hit.fresh, runTask);
      expired = Boolean(hit);
    }
    const staged = req.store.stage(ref);
    interrupt.install(() => staged.discard());
    try {
      const run = runnerFor(req.task, req.params, req.door);
      const done = await executeStaged(req, ref, staged, run, interrupt, lock, expired);
      const placeable = done.entry || (done.storage.kind === 'not-stored' && !interrupt.signal);
      const source = {
        outDir: done.entry?.outDir() ?? staged.outDir,
        // Read only when outputs are placed: the manifest of an entry just stored is on disk, not in memory (issue 14).
        get outputs() {
          return done.entry ? done.entry.meta().outputs : staged.listOutputs();
        },
      };
      const placed = placeable ? place(req, source, done.entry, false) : { placement: null, placementError: null };
      return { ...done, ...placed, expired, remote: req.store.remoteReport?.(ref) };
    } finally {
      staged.discard();
    }
  } finally {
    await lock.release();
    interrupt.reraise();
  }
}
