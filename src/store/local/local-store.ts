import { readFileSync, type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { v8 } from '../../lazy-builtins.js';
import { CachexError, StoreError, storeErrorFrom } from '../../errors.js';
import type { KeyInputs } from '../../key/inputs.js';
import { acquireKeyLock, tryAcquireKeyLock } from '../../lock/key-lock.js';
import type { Owner } from '../../lock/owner.js';
import { CACHEX_VERSION } from '../../version.js';
import type {
  EntryHandle,
  EntryStore,
  KeyLockHandle,
  ListedEntry,
  ListQuery,
  LoadedEntry,
  NotStoredReason,
  Lookup,
  LookupOptions,
  PutOutcome,
  PutRequest,
  RemoveOptions,
  RemoveOutcome,
  StagedRun,
} from '../entry-store.js';
import { ENTRY_FILES, type EntryRef, Layout } from '../layout.js';
import { checkMeta, META_FORMAT, type EntryMeta, type OutputRecord } from '../meta.js';
import { diskUsage, listEntries, readEntryMeta } from './catalog.js';
import { largeViewBytes, splitLargeViews, writeChunked } from './chunked.js';
import { loadEntry, recordHit } from './load.js';
import type { PruneResult, PruneSelectors } from './prune.js';
import type { VerifyOptions, VerifyReport } from './verify.js';
import { OutputRefused } from './outputs.js';
import { removeEntry } from './remove.js';
import { encodeResult } from './result.js';
import { Staging } from './staging.js';
import { restoreAbandoned } from './swapped-out.js';
import { countTakeOver, recordRecovery } from './recovery.js';
import { freeSpace, type MinFreeSpace, requiredFreeBytes } from '../free-space.js';
import { plainStamp } from '../../key/stamp.js';

const CHUNKED_FILE = 'result.v8c';

class LocalHandle implements EntryHandle {
  constructor(
    readonly ref: EntryRef,
    protected readonly dir: string,
    private readonly entryMeta: EntryMeta,
    /** Known when put() just sealed them, so that asking does not read the manifest back. */
    private readonly outputs?: number,
  ) {}
  outDir(): string {
    return `${this.dir}${path.sep}${ENTRY_FILES.out}`;
  }
  meta(): EntryMeta {
    return this.entryMeta;
  }
  outputCount(): number {
    return this.outputs ?? this.entryMeta.outputs.length;
  }
}

/**
 * The meta of an entry put() just committed. Its manifest was streamed to
 * meta.yaml, never held (issue 14): it is read back from there, checked, only
 * when something asks for it — placing the outputs; a miss that places
 * nothing never does. The entry's key lock is held meanwhile, so it is the
 * entry just written; a meta.yaml gone or changed behind its back is a StoreError.
 */
function committedMeta(fields: Omit<EntryMeta, 'outputs'>, dir: string, ref: EntryRef): EntryMeta {
  let outputs: OutputRecord[] | undefined;
  const { result, logs, ...before } = fields;
  return {
    ...before,
    get outputs(): OutputRecord[] {
      outputs ??= readOutputs(dir, ref);
      return outputs;
    },
    result,
    logs,
  };
}

function readOutputs(dir: string, ref: EntryRef): OutputRecord[] {
  const what = `${ref.task} ${ref.key.slice(0, 12)}`;
  let text: string;
  try {
    text = readFileSync(path.join(dir, ENTRY_FILES.meta), 'utf8');
  } catch (err) {
    throw storeErrorFrom(err, `reading back the outputs of the entry ${what}`);
  }
  const read = checkMeta(text, ref);
  if ('problem' in read)
    throw new StoreError(`The entry ${what} changed after it was stored (${read.problem}); run the task again.`);
  return read.meta.outputs;
}

/**
 * The store in one data folder: entries under cache/, staging and trash
 * under tmp/ (same file system, so commits are one rename), key locks
 * under locks/. Its crash-safety lives in the modules beside this file.
 */
export class LocalStore implements EntryStore {
  readonly layout: Layout;
  private readonly minFreeSpace: MinFreeSpace;
  constructor(dataFolder: string, options: { minFreeSpace?: MinFreeSpace } = {}) {
    this.layout = new Layout(dataFolder);
    this.minFreeSpace = options.minFreeSpace ?? { kind: 'default' };
  }

  get root(): string {
    return this.layout.root;
  }

  async lookup(ref: EntryRef, expected: KeyInputs, opts: LookupOptions = {}): Promise<Lookup> {
    let found = await loadEntry(this.layout, ref, expected);
    // No entry folder: a --force between its two renames, or one killed there, has it in tmp/. Under the lock
    // no run can be mid-replace; without it, only a swap whose run died is put back (and then read).
    if (found.status === 'miss' && restoreAbandoned(this.layout, ref, Boolean(opts.repair)))
      found = await loadEntry(this.layout, ref, expected);
    if (found.status === 'hit') {
      if (opts.record !== false) recordHit(found.entry.dir, found.entry.identity);
      const { dir, meta, ...read } = found.entry;
      const entry: LoadedEntry = Object.assign(new LocalHandle(ref, dir, meta), read);
      return { status: 'hit', source: 'local', entry };
    }
    if (found.status === 'corrupt') {
      // A dry run only looks: it is not counted (as it counts no hit).
      if (opts.record !== false) this.countCorrupt(ref, found.file, found.reason);
      if (opts.repair && (await this.remove(ref, { why: 'corrupt', ifBusy: 'skip', locked: true })) === 'removed')
        recordRecovery(this.layout, 'set-aside', ref);
      return { status: 'miss', corrupt: { file: found.file, reason: found.reason } };
    }
    return { status: 'miss', corrupt: null };
  }

  /** Counted once per damaged entry and process: the look under the lock finds what the first look found. */
  private readonly corruptSeen = new Set<string>();
  private countCorrupt(ref: EntryRef, file: string, reason: string): void {
    const seen = `${ref.module}/${ref.task}/${ref.key}@${this.identity(ref)}`;
    if (this.corruptSeen.has(seen)) return;
    this.corruptSeen.add(seen);
    recordRecovery(this.layout, 'corrupt-found', ref, { reason: `${file}: ${reason}` });
  }

  lock(ref: EntryRef, opts: { onWait?: (owner: Partial<Owner> | null) => void } = {}): Promise<KeyLockHandle> {
    return acquireKeyLock(this.layout.lockTarget(ref), { onWait: opts.onWait, ...countTakeOver(this.layout, ref) });
  }

  stage(ref: EntryRef): StagedRun {
    return Staging.create(this.layout, ref);
  }

  async put(staged: StagedRun, run: PutRequest): Promise<PutOutcome> {
    const staging = staged as Staging;
    const { ref } = staging;
    try {
      const sealed = await staging.seal();
      const encoded = this.encode(staging, run);
      if ('unserialisable' in encoded) {
        return {
          storage: { kind: 'not-stored', reason: { kind: 'unserialisable', detail: encoded.unserialisable } },
          entry: null,
          resultBytes: null,
        };
      }
      // The manifest is not in it: commit copies it into meta.yaml from the file sealing wrote.
      const fields: Omit<EntryMeta, 'outputs'> = {
        format: META_FORMAT,
        cachex: CACHEX_VERSION,
        task: ref.task,
        module: ref.module,
        key: ref.key,
        kind: run.kind,
        taskVersion: run.taskVersion,
        params: run.params,
        keyInputs: run.keyInputs,
        command: run.command,
        created: run.created,
        durationMs: run.durationMs,
        exitCode: run.exitCode,
        result: encoded.record,
        logs: run.logs,
      };
      // Not stored for want of room: the staging stays until the run ends, so --out can still place its outputs.
      const short = await this.makeRoom(ref, run.replace);
      if (short) return { storage: { kind: 'not-stored', reason: short }, entry: null, resultBytes: null };
      const committed = await staging.commit(fields, sealed, run.replace);
      const dir = this.layout.entryDir(ref);
      const entry = new LocalHandle(ref, dir, committedMeta(fields, dir, ref), sealed.count);
      if (committed === 'kept-existing') {
        const kept = await this.open(ref);
        return { storage: { kind: 'kept-existing' }, entry: kept ?? entry, resultBytes: encoded.bytes };
      }
      // The space the entry takes as `du` counts it: what `ls` shows and what `prune` frees.
      const bytes = diskUsage(this.layout.entryDir(ref));
      return { storage: { kind: 'stored', bytes }, entry, resultBytes: encoded.bytes };
    } catch (err) {
      if (err instanceof OutputRefused) {
        return {
          storage: { kind: 'not-stored', reason: { kind: 'output-refused', detail: err.message } },
          entry: null,
          resultBytes: null,
        };
      }
      const error =
        err instanceof CachexError ? err : storeErrorFrom(err, `storing the entry ${ref.task} ${ref.key.slice(0, 12)}`);
      return { storage: { kind: 'store-failed', error }, entry: null, resultBytes: null };
    }
  }

  /**
   * minFreeSpace: the staged entry already takes its space (the commit is a
   * rename), so what is free now is what storing leaves. When that is too
   * little, least recently used entries are pruned by `prune`'s rules (never
   * one in use or hit in the last minute); still too little, and the run is
   * not stored. A --force replace frees its old entry as it commits.
   */
  private async makeRoom(ref: EntryRef, replace: boolean): Promise<NotStoredReason | null> {
    const space = freeSpace(this.layout.root);
    if (!space) return null; // statfs unsupported: the disk-full errors still guard
    const need = requiredFreeBytes(this.minFreeSpace, space.totalBytes);
    const replaced = replace ? diskUsage(this.layout.entryDir(ref)) : 0;
    if (space.freeBytes + replaced >= need) return null;
    try {
      const { prune } = await import('./prune.js');
      await prune(this.layout, { freeBytes: need - space.freeBytes - replaced }, { dryRun: false });
    } catch {
      /* judged by what is free now */
    }
    const after = freeSpace(this.layout.root) ?? space;
    if (after.freeBytes + replaced >= need) return null;
    return { kind: 'no-space', freeBytes: after.freeBytes, minFreeBytes: need };
  }

  /** Chooses the result's encoding: v8, v8+gzip, or streamed big typed arrays (chunked.ts). */
  private encode(
    staging: Staging,
    run: PutRequest,
  ): { record: EntryMeta['result']; bytes: Buffer | null } | { unserialisable: string } {
    const payload = run.result;
    if (!payload) return { record: null, bytes: null };
    if (payload.kind === 'serialised') {
      const encoded = encodeResult(payload.bytes, { compress: payload.compress });
      staging.writeFile(encoded.record.file, encoded.bytes);
      return { record: encoded.record, bytes: payload.bytes };
    }
    let bytes: Buffer;
    try {
      // Big typed arrays past the threshold are written from their own memory, with no serialised copy.
      if (largeViewBytes(payload.value) >= payload.streamThreshold) {
        const chunked = splitLargeViews(payload.value);
        v8().serialize(chunked.skeleton); // fails here, as for any result, when something in it cannot be stored
        return { record: writeChunked(path.join(staging.dir, CHUNKED_FILE), chunked, CHUNKED_FILE), bytes: null };
      }
      bytes = v8().serialize(payload.value);
    } catch (err) {
      return { unserialisable: (err as Error).message.replace(/\.$/, '') };
    }
    // Skipping compression of a huge result avoids a second full-size copy on store and on load.
    const encoded = encodeResult(bytes, { compress: bytes.length <= payload.streamThreshold });
    staging.writeFile(encoded.record.file, encoded.bytes);
    return { record: encoded.record, bytes };
  }

  async open(ref: EntryRef): Promise<EntryHandle | null> {
    restoreAbandoned(this.layout, ref);
    const dir = this.layout.entryDir(ref);
    const read = await readEntryMeta(dir, ref);
    return 'meta' in read ? new LocalHandle(ref, dir, read.meta) : null;
  }

  /** meta.yaml's device, inode, size and mtime (stamp.ts plainStamp, 'file'): a pruned entry has none, a replaced one a new inode. */
  identity(ref: EntryRef): string | null {
    let file = this.metaPaths.get(ref);
    if (file === undefined) this.metaPaths.set(ref, (file = path.join(this.layout.entryDir(ref), ENTRY_FILES.meta)));
    try {
      const st = statSync(file, { throwIfNoEntry: false });
      return st ? plainStamp(st, 'file') : null;
    } catch {
      return null;
    }
  }

  /**
   * identity(ref) === identity, without building the string: a memory hit asks on every call. The numbers of
   * an identity are parsed once (JavaScript prints a number so that it reads back exactly).
   */
  hasIdentity(ref: EntryRef, identity: string): boolean {
    let file = this.metaPaths.get(ref);
    if (file === undefined) this.metaPaths.set(ref, (file = path.join(this.layout.entryDir(ref), ENTRY_FILES.meta)));
    let st: Stats | undefined;
    try {
      st = statSync(file, { throwIfNoEntry: false });
    } catch {
      return false;
    }
    if (st === undefined) return false;
    let parts = this.identityParts.get(identity);
    if (parts === undefined) {
      if (this.identityParts.size >= 4096) this.identityParts.clear();
      this.identityParts.set(identity, (parts = identity.split(' ').map(Number)));
    }
    return st.dev === parts[0] && st.ino === parts[1] && st.size === parts[2] && st.mtimeMs === parts[3];
  }

  private readonly identityParts = new Map<string, number[]>();

  /** meta.yaml's path per ref object: a memory hit asks for the identity of the same ref on every call. */
  private readonly metaPaths = new WeakMap<EntryRef, string>();

  outDir(ref: EntryRef): string | null {
    return this.identity(ref) === null ? null : path.join(this.layout.entryDir(ref), ENTRY_FILES.out);
  }

  recordHit(ref: EntryRef, identity?: string): void {
    recordHit(this.layout.entryDir(ref), identity);
  }

  list(query: ListQuery = {}): Promise<ListedEntry[]> {
    restoreAbandoned(this.layout);
    return listEntries(this.layout, query);
  }

  /** Sweeps crash leftovers, removes corrupt entries, then what the selectors choose (never an entry in use). */
  async prune(selectors: PruneSelectors, options: { dryRun: boolean }): Promise<PruneResult> {
    const { prune } = await import('./prune.js');
    return prune(this.layout, selectors, options);
  }

  /** Re-hashes every entry; with `fix`, sweeps leftovers and sets corrupt entries aside. */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const { verifyStore } = await import('./verify.js');
    return verifyStore(this.layout, options);
  }

  async remove(ref: EntryRef, opts: RemoveOptions & { locked?: boolean }): Promise<RemoveOutcome> {
    if (opts.locked) return removeEntry(this.layout, ref, opts.why);
    const lock =
      opts.ifBusy === 'wait'
        ? await acquireKeyLock(this.layout.lockTarget(ref), countTakeOver(this.layout, ref))
        : await tryAcquireKeyLock(this.layout.lockTarget(ref), countTakeOver(this.layout, ref));
    if (!lock) return 'busy';
    try {
      return removeEntry(this.layout, ref, opts.why);
    } finally {
      await lock.release();
    }
  }
}
