import type { EntryMeta } from '../store/meta.js';
import type { RunOutcome } from '../core/run-task.js';
import type { LoadedEntry, RemoteReport } from '../store/entry-store.js';
import { ArgSets } from './arg-sets.js';
import { callArgs } from './args.js';
import { openStore } from '../store/open.js';
import { clearEntries } from './clear.js';
import { compute, type Computed } from './compute.js';
import { MemoryLayer, type MemoryEntry } from './memory.js';
import { copierOf, fresh } from './copy.js';
import { freshness } from '../core/lifetime.js';
import type { ResolvedOptions } from './options.js';
import { prepareCall, dataFolderOf, type PreparedCall } from './prepare.js';
import type { CachableFunction, CacheStats } from './types.js';

/** Memory hits are written to the entry's usage log at most this often, so `prune --unused-for` sees them without a write per call. */
const RECORD_HIT_EVERY_MS = 60_000;

/** Argument sets whose keys are remembered per cached function (then forgotten all at once). */
const PREPARED_CALLS = 1000;

/** A fresh value of a held result; its copier is chosen at its first memory hit (a result held but never hit pays nothing). */
function copyOf(held: MemoryEntry): unknown {
  if (held.copy === undefined) {
    const { copy, needsBytes } = copierOf(held.bytes!);
    held.copy = copy;
    if (!needsBytes) held.bytes = null;
  }
  return held.copy();
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
  /** Remembered keys by argument set, for the surroundings last used (bySurroundings holds them all). */
  private prepared = new ArgSets<PreparedCall>(PREPARED_CALLS);
  /** The surroundings last used, value by value: the working folder, DATA_FOLDER, the task's variables. */
  private surroundings: (string | undefined)[] | null = null;
  private readonly bySurroundings = new Map<string, ArgSets<PreparedCall>>();
  private readonly memoisable: boolean;

  constructor(
    private readonly fn: CachableFunction,
    readonly options: ResolvedOptions,
  ) {
    this.memory = options.memory && new MemoryLayer(options.memory.maxBytes, options.memory.maxEntries);
    this.memoisable = Object.values(options.schema).every((spec) => spec.type !== 'file' && spec.type !== 'dir');
  }

  get name(): string {
    return this.options.task.name;
  }

  /**
   * The key of one argument set, remembered where nothing outside the
   * arguments can change it: no file or dir params (their contents enter the
   * key), only primitive arguments, and per working folder, DATA_FOLDER and
   * the task's declared variables.
   */
  prepare(given: unknown[]): PreparedCall {
    const args = callArgs(this.name, given);
    if (!this.memoisable) return prepareCall(this.options, args);
    const prepared = this.preparedHere();
    const known = prepared.get(args);
    if (known) return known; // shared: run() gives the function a copy of its arguments
    const call = prepareCall(this.options, args);
    prepared.set(args, call);
    return call;
  }

  /**
   * The remembered keys for the surroundings now. They are compared value by
   * value with the last ones (no string is built per call); the set is looked
   * up only when they differ.
   */
  private preparedHere(): ArgSets<PreparedCall> {
    const env = this.options.task.env;
    // With a dataFolder option, DATA_FOLDER is never read (data-folder.ts).
    const readsDataFolder = this.options.dataFolder === undefined;
    const last = this.surroundings;
    let same = last !== null && last[0] === process.cwd() && (!readsDataFolder || last[1] === process.env.DATA_FOLDER);
    for (let i = 0; same && i < env.length; i++) same = last![i + 2] === process.env[env[i]!];
    if (same) return this.prepared;
    const now = [process.cwd(), readsDataFolder ? process.env.DATA_FOLDER : undefined];
    for (const name of env) now.push(process.env[name]);
    this.surroundings = now;
    const text = now.map((value) => value ?? '\u0001').join('\0');
    let prepared = this.bySurroundings.get(text);
    if (prepared === undefined) {
      if (this.bySurroundings.size >= 8) this.bySurroundings.clear();
      this.bySurroundings.set(text, (prepared = new ArgSets(PREPARED_CALLS)));
    }
    this.prepared = prepared;
    return prepared;
  }

  /** A memory hit is answered here, without the async machinery of run() (a quarter of its cost). */
  call(given: unknown[]): Promise<unknown> {
    try {
      const call = this.prepare(given);
      const held = this.fromMemory(call);
      if (held !== null) {
        this.counts.memoryHits++;
        return Promise.resolve(copyOf(held));
      }
      return this.run(call, false);
    } catch (err) {
      return Promise.reject(err);
    }
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
      const held = this.fromMemory(call);
      if (held) {
        this.counts.memoryHits++;
        return copyOf(held);
      }
      const pending = this.inflight.get(call.memoryKey);
      if (pending) {
        this.counts.joined++;
        const shared = await pending;
        // Each waiter gets its own copy, as the caller that computed does.
        return shared.bytes ? fresh(shared.bytes) : shared.live;
      }
    }
    // The function gets an arguments object of its own each time (it may change it; prepared calls are shared).
    const own = { ...call, args: { ...call.args } };
    const promise = compute(this.fn, this.options, own, force, () => void this.counts.misses++);
    this.inflight.set(call.memoryKey, promise);
    try {
      const done = await promise;
      this.countRemote(done.outcome);
      this.remember(call, done);
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

  /** The held result, if the entry it came from is still the one on disk; a pruned or replaced entry is dropped. */
  private fromMemory(call: PreparedCall): MemoryEntry | null {
    const held = this.memory?.get(call.memoryKey);
    if (!held) return null;
    if (!call.store.hasIdentity(held.ref, held.identity)) {
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
      call.store.recordHit(held.ref, held.identity);
    }
    return held;
  }

  /**
   * Keeps a stored result in memory with the identity of its entry. For a hit
   * that is the identity of the very meta.yaml its bytes were read with
   * (LoadedEntry.identity), so bytes of a replaced entry are never pinned to
   * the new one; after a store, the entry's identity now.
   */
  private remember(call: PreparedCall, done: Computed): void {
    if (!this.memory) return;
    const { outcome } = done;
    const stored = outcome.status === 'hit' || outcome.storage?.kind === 'stored';
    const read = outcome.status === 'hit' && outcome.entry && 'identity' in outcome.entry ? outcome.entry : null;
    const identity = read ? (read as LoadedEntry).identity : call.store.identity(call.ref);
    if (!stored || !done.bytes || !identity) {
      this.memory.delete(call.memoryKey);
      return;
    }
    // A disk hit was just recorded by runTask; after a miss, the first memory hit is recorded at once.
    const recordedAt = outcome.status === 'hit' ? Date.now() : 0;
    const created = outcome.entry?.meta().created;
    this.memory.set(call.memoryKey, {
      bytes: done.bytes,
      size: done.bytes.length,
      ref: call.ref,
      identity,
      recordedAt,
      created,
    });
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
