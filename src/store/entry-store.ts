import type { CachexError } from '../errors.js';
import type { KeyInputs } from '../key/inputs.js';
import type { Owner } from '../lock/owner.js';
import type { EntryBrief } from './brief.js';
import type { EntryRef } from './layout.js';
import type { EntryMeta, OutputRecord } from './meta.js';

/**
 * The one interface every store backend offers. Today there is the local
 * store (store/local/); a remote backend and a tiered store (local first,
 * then remote, a remote hit becoming a local entry) implement the same
 * interface in store/remote/ and store/tiered.ts, so core never changes.
 */
export interface EntryStore {
  /** Where this store keeps its files (the data folder). */
  readonly root: string;
  /**
   * A checked hit, or a miss (with the problem, when the stored entry was
   * corrupt). With `repair` (the caller holds the key's lock) a swapped-out
   * entry is put back first and a corrupt one is set aside. A hit is recorded.
   */
  lookup(ref: EntryRef, expected: KeyInputs, opts?: LookupOptions): Promise<Lookup>;
  /** Takes the key's lock: one execution per key across processes. */
  lock(ref: EntryRef, opts?: { onWait?: (owner: Partial<Owner> | null) => void }): Promise<KeyLockHandle>;
  /** A fresh staging area for one run of `ref`; nothing in it is visible until put(). */
  stage(ref: EntryRef): StagedRun;
  /** Seals, encodes and commits a staged run as the entry of its key. Never throws: failures are values. */
  put(staged: StagedRun, run: PutRequest): Promise<PutOutcome>;
  /** The entry of `ref` if one is stored (its meta.yaml intact), without checking its payload. */
  open(ref: EntryRef): Promise<EntryHandle | null>;
  /** Every entry matching the query, with its metadata (checked) and usage. */
  list(query?: ListQuery): Promise<ListedEntry[]>;
  /**
   * A cheap token of the stored entry (one stat, no read) that changes when it
   * is replaced or removed; null when there is none. Lets a memory layer tell
   * whether what it holds is still the stored entry.
   */
  identity(ref: EntryRef): string | null;
  /** Whether identity(ref) would return `identity` (one stat), cheaper than comparing the two. */
  hasIdentity(ref: EntryRef, identity: string): boolean;
  /** The folder of a stored entry's outputs (one stat), or null when none is stored. */
  outDir(ref: EntryRef): string | null;
  /**
   * Counts a use of the entry (a memory hit), as lookup() does for a hit. `identity`: the entry's identity
   * when it was read (LoadedEntry.identity), so the store may keep its usage log open for the next use.
   */
  recordHit(ref: EntryRef, identity?: string): void;
  /** Takes an entry out of the store atomically (readers see all of it or nothing). */
  remove(ref: EntryRef, opts: RemoveOptions): Promise<RemoveOutcome>;
  /** What the remote tier did for `ref` in this process; undefined for a store without one. */
  remoteReport?(ref: EntryRef): RemoteReport | undefined;
}

export interface LookupOptions {
  repair?: boolean;
  /** Count the hit in the entry's usage (default true; `--dry-run` looks without using). */
  record?: boolean;
}

/** `source` says which tier answered: a remote hit has become a local entry before it is returned. */
export type Lookup =
  | { status: 'hit'; source: 'local' | 'remote'; entry: LoadedEntry }
  | { status: 'miss'; corrupt: { file: string; reason: string } | null };

/** What the remote tier did for one key (`run --json`'s `remote` and `upload`). */
export interface RemoteReport {
  /** off: no remote; skipped: a local hit; rejected: an artifact found and refused; error: the server failed. */
  lookup: 'off' | 'skipped' | 'hit' | 'miss' | 'rejected' | 'error';
  /** null until an upload was due (a hit, or a run not stored); 'pending' while a background upload (library) runs. */
  upload: 'stored' | 'skipped' | 'read-only' | 'error' | 'pending' | null;
  /** A background upload's final status. */
  settled?: Promise<'stored' | 'skipped' | 'read-only' | 'error'>;
}

export interface KeyLockHandle {
  release(): Promise<void>;
  /** The heartbeat failed: another process may have taken the key over, so this one must not replace its entry. */
  readonly compromised: boolean;
}

/** An entry whose files and metadata are known to be there. */
export interface EntryHandle {
  readonly ref: EntryRef;
  /** The folder holding its output files (read-only). */
  outDir(): string;
  meta(): EntryMeta;
  /** How many outputs it records, without reading the manifest when the store knows it (an entry just stored). */
  outputCount?(): number;
}

/** A hit: the handle plus what was read and checked. */
export interface LoadedEntry extends EntryHandle {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** The serialised (decompressed) result, when the task returned one. */
  readonly result: Buffer | null;
  /** The result itself, for large results read as a stream instead of as bytes. */
  readonly value?: unknown;
  /** What identity() gave for the entry these bytes were read from (taken from the same open meta.yaml). */
  readonly identity: string;
}

/** Where one run writes: its outputs folder and the two log files. */
export interface StagedRun {
  readonly ref: EntryRef;
  readonly outDir: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Outputs as they are in the staging folder (for placing an unstored run's outputs). */
  listOutputs(): OutputRecord[];
  /** Drops everything staged; safe to call twice. */
  discard(): void;
}

/** The result of a task, as the runner produced it; put() chooses how it is encoded. */
export type ResultPayload =
  /** Already v8-serialised (in a worker); `compress: false` keeps a huge result uncompressed. */
  | { kind: 'serialised'; bytes: Buffer; compress: boolean }
  /** A live value (library functions): serialised here, streamed when big typed arrays reach the threshold. */
  | { kind: 'live'; value: unknown; streamThreshold: number };

/** What put() needs besides the staged files: everything meta.yaml records. */
export interface PutRequest {
  keyInputs: KeyInputs;
  kind: KeyInputs['kind'];
  taskVersion: string | number | null;
  params: EntryMeta['params'];
  command?: string[];
  created: string;
  durationMs: number;
  exitCode: number;
  logs: EntryMeta['logs'];
  result: ResultPayload | null;
  /** Replace an existing entry (--force); without it the first writer wins. */
  replace: boolean;
}

/** Why a finished run was not stored: a closed set, put into words by output/not-stored.ts. */
export type NotStoredReason =
  | { kind: 'interrupted'; signal: string }
  | { kind: 'killed'; signal: string }
  | { kind: 'failed'; exitCode: number }
  | { kind: 'unserialisable'; detail: string }
  | { kind: 'input-changed' }
  | { kind: 'output-missing'; path: string }
  | { kind: 'output-refused'; detail: string }
  /** Storing would leave less than minFreeSpace free on the data folder's disk, even after pruning. */
  | { kind: 'no-space'; freeBytes: number; minFreeBytes: number };

/** Whether a finished run became an entry. */
export type Storage =
  | { kind: 'stored'; bytes: number }
  /** Another run stored this key first; its entry was kept (first writer wins). */
  | { kind: 'kept-existing' }
  | { kind: 'not-stored'; reason: NotStoredReason }
  | { kind: 'store-failed'; error: CachexError };

export interface PutOutcome {
  storage: Storage;
  /** The stored entry (also when another run's entry was kept). */
  entry: EntryHandle | null;
  /** The serialised result when put() serialised a live value (the library keeps it in memory). */
  resultBytes: Buffer | null;
}

export interface ListQuery {
  module?: string;
  task?: string;
  /** At least 6 hex characters of a key. */
  keyPrefix?: string;
  /** Skip the disk-usage walk (callers that only need metadata). */
  withoutSizes?: boolean;
  /** Only the this many most recently written entries (by their folder's mtime), newest first. */
  newest?: number;
  /** Leave out the entry of this key (chosen among the newest as if it were there), unread. */
  exceptKey?: string;
}

export interface ListedEntry {
  ref: EntryRef;
  /** Its metadata when meta.yaml is present and intact (a local listing parses it when first read). */
  readonly meta: EntryMeta | null;
  /** What a listing row shows of it; null exactly when meta is. */
  brief: EntryBrief | null;
  /** Why meta.yaml could not be used, when it could not. */
  metaProblem: string | null;
  /** Bytes on disk (allocated blocks, as `du` counts them). */
  diskBytes: number;
  hits: number;
  created: Date | null;
  /** Last hit, else creation. */
  lastUsed: Date | null;
  /** Where the entry and its outputs are, for showing (callers never join paths into it). */
  dir: string;
  outDir: string;
}

export interface RemoveOptions {
  /** Why it goes: names the folder it passes through, so a crash leftover is recognised. */
  why: 'corrupt' | 'pruned';
  /** A run holding the key: skip the entry, or wait for the run to finish. */
  ifBusy: 'skip' | 'wait';
}

export type RemoveOutcome = 'removed' | 'busy' | 'gone';
