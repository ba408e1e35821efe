import { deserialize } from 'node:v8';
import type { EntryMeta } from '../store/meta.js';
import type { RunOutcome } from '../core/run-task.js';
import type { RemoteReport } from '../store/entry-store.js';
import { callArgs } from './args.js';
import { openStore } from '../store/open.js';
import { clearEntries } from './clear.js';
import { compute, type Computed } from './compute.js';
import { MemoryLayer } from './memory.js';
import { freshness } from '../core/lifetime.js';
import type { ResolvedOptions } from './options.js';
import { prepareCall, dataFolderOf, type PreparedCall } from './prepare.js';
import type { CachableFunction, CacheStats } from './types.js';

/** Memory hits are written to the entry's usage log at most this often, so `prune --unused-for` sees them without a write per call. */
const RECORD_HIT_EVERY_MS = 60_000;

/**
 * A fresh value from held bytes. v8's deserializer returns typed arrays and
 * Buffers as views into the bytes it reads, so it reads a private copy:
 * otherwise a caller writing into a returned Uint8Array would change the
 * bytes held in memory, and every later hit.
 */
function fresh(bytes: Buffer): unknown {
  return deserialize(Buffer.from(bytes));
}

/** The state behind one cached function: its memory layer, in-flight computations and counters. */
export class CachedState {
  private readonly memory: MemoryLayer | null;
  private readonly inflight = new Map<string, Promise<Computed>>();
  private readonly counts = {
    memoryHits: 0,
    diskHits: 0,
    misses: 0,
    joined: 0,
    remoteHits: 0,
    remoteMisses: 0,
    remoteUploads: 0,
    remoteErrors: 0,
  };

  constructor(
    private readonly fn: CachableFunction,
    readonly options: ResolvedOptions,
  ) {
    this.memory = options.memory && new MemoryLayer(options.memory.maxBytes, options.memory.maxEntries);
  }

  get name(): string {
    return this.options.task.name;
  }

  prepare(given: unknown[]): PreparedCall {
    return prepareCall(this.options, callArgs(this.name, given));
  }

  async call(given: unknown[]): Promise<unknown> {
    return this.run(this.prepare(given), false);
  }

  async make(given: unknown[]): Promise<unknown> {
    const args = callArgs(`${this.name}.make`, given);
    const { force, ...rest } = args;
    if (force !== undefined && typeof force !== 'boolean')
      throw new TypeError(`${this.name}.make: force must be true or false, got ${JSON.stringify(force)}.`);
    return this.run(prepareCall(this.options, rest), force === true);
  }

  private async run(call: PreparedCall, force: boolean): Promise<unknown> {
    if (!force) {
      const bytes = this.fromMemory(call);
      if (bytes) {
        this.counts.memoryHits++;
        return fresh(bytes);
      }
      const pending = this.inflight.get(call.memoryKey);
      if (pending) {
        this.counts.joined++;
        const shared = await pending;
        // Each waiter gets its own copy, as the caller that computed does.
        return shared.bytes ? fresh(shared.bytes) : shared.live;
      }
    }
    const before = call.store.identity(call.ref);
    const promise = compute(this.fn, this.options, call, force, () => void this.counts.misses++);
    this.inflight.set(call.memoryKey, promise);
    try {
      const done = await promise;
      this.countRemote(done.outcome);
      this.remember(call, done, before);
      if (done.outcome.status === 'hit') {
        this.counts.diskHits++;
        // A large result read as a stream arrives as a value of its own, not as bytes.
        return done.bytes ? fresh(done.bytes) : done.live;
      }
      // A miss returns what a hit will return (class instances as plain objects), not the live object. Without
      // bytes (not stored, or a large result streamed to disk) there is no copy to give: the live value it is.
      return done.bytes ? fresh(done.bytes) : done.live;
    } finally {
      if (this.inflight.get(call.memoryKey) === promise) this.inflight.delete(call.memoryKey);
    }
  }

  /** The held bytes, if the entry they came from is still the one on disk; a pruned or replaced entry is dropped. */
  private fromMemory(call: PreparedCall): Buffer | null {
    const held = this.memory?.get(call.memoryKey);
    if (!held) return null;
    if (call.store.identity(held.ref) !== held.identity) {
      this.memory!.delete(call.memoryKey);
      return null;
    }
    // Past its max age the disk path decides (a miss, or a stale hit that refreshes).
    const life = this.options.lifetime;
    if (life && held.created && freshness({ created: held.created, exitCode: 0 }, life) !== 'fresh') {
      this.memory!.delete(call.memoryKey);
      return null;
    }
    const now = Date.now();
    if (now - held.recordedAt > RECORD_HIT_EVERY_MS) {
      held.recordedAt = now;
      call.store.recordHit(held.ref);
    }
    return held.bytes;
  }

  /**
   * Keeps a stored result in memory with the identity of its entry. For a hit
   * the entry must have kept one identity across the load (stat before and
   * after), so bytes of a replaced entry are never pinned to the new one.
   */
  private remember(call: PreparedCall, done: Computed, before: string | null): void {
    if (!this.memory) return;
    const { outcome } = done;
    const stored = outcome.status === 'hit' || outcome.storage?.kind === 'stored';
    const identity = call.store.identity(call.ref);
    if (!stored || !done.bytes || !identity || (outcome.status === 'hit' && identity !== before)) {
      this.memory.delete(call.memoryKey);
      return;
    }
    // A disk hit was just recorded by runTask; after a miss, the first memory hit is recorded at once.
    const recordedAt = outcome.status === 'hit' ? Date.now() : 0;
    const created = outcome.entry?.meta().created;
    this.memory.set(call.memoryKey, { bytes: done.bytes, ref: call.ref, identity, recordedAt, created });
  }

  private countRemote(outcome: RunOutcome): void {
    const remote = outcome.remote;
    if (!remote) return;
    const c = this.counts;
    if (outcome.source === 'remote') c.remoteHits++;
    else if (remote.lookup === 'miss' || remote.lookup === 'rejected' || remote.lookup === 'error') c.remoteMisses++;
    if (remote.lookup === 'rejected' || remote.lookup === 'error') c.remoteErrors++;
    const counted = (status: RemoteReport['upload']) => {
      if (status === 'stored') c.remoteUploads++;
      else if (status === 'error') c.remoteErrors++;
    };
    if (remote.settled) void remote.settled.then(counted);
    else counted(remote.upload);
  }

  key(given: unknown[]): string {
    return this.prepare(given).key;
  }

  async inspect(given: unknown[]): Promise<EntryMeta | null> {
    const call = this.prepare(given);
    return (await call.store.open(call.ref))?.meta() ?? null;
  }

  outDir(given: unknown[]): string | null {
    const call = this.prepare(given);
    return call.store.outDir(call.ref);
  }

  async clear(): Promise<number> {
    this.memory?.clear();
    return clearEntries(openStore(dataFolderOf(this.options)), this.options.task);
  }

  stats(): CacheStats {
    return { ...this.counts, bytesInMemory: this.memory?.bytes ?? 0, entriesInMemory: this.memory?.size ?? 0 };
  }
}
