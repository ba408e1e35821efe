import type { KeyInputs } from '../key/inputs.js';
import type { Owner } from '../lock/owner.js';
import type {
  EntryStore,
  KeyLockHandle,
  Lookup,
  LookupOptions,
  PutOutcome,
  PutRequest,
  RemoteReport,
  StagedRun,
} from './entry-store.js';
import type { EntryRef } from './layout.js';
import type { MinFreeSpace } from './free-space.js';
import type { EntryMeta } from './meta.js';
import { LocalStore } from './local/local-store.js';
import type { Staging } from './local/staging.js';
import type { RemoteTier, RemoteTierOptions, UploadOutcome } from './remote/tier.js';
import { openRemoteTier, type RemoteSettings, secretsOf } from './remote/settings.js';

export interface TieredOptions {
  settings: RemoteSettings;
  /** Where a warning line goes (once per distinct line). */
  warn: (line: string) => void;
  tier?: Partial<RemoteTierOptions>;
  minFreeSpace?: MinFreeSpace;
  /**
   * `--remote-only`: the local entry is not a hit source. Lookups without the
   * key's lock answer miss; under the lock only the remote is asked; a remote
   * hit (verified like any) replaces the local entry, and a run after a
   * remote miss replaces it too and uploads.
   */
  remoteOnly?: boolean;
  /**
   * Uploads run after put() returns (the library: a call returns once its
   * entry is stored locally); flush() awaits them. The lease is released
   * when the upload ends, so waiters find the artifact.
   */
  backgroundUploads?: boolean;
}

const refId = (ref: EntryRef) => `${ref.module}/${ref.task}/${ref.key}`;

/**
 * Local first, then the remote tier. The remote code is imported only when a
 * lookup under the key's lock misses locally, so a local hit sends nothing and
 * loads nothing; a remote hit is checked into a local staging folder and
 * committed as a local entry before it is returned. Server trouble only ever
 * produces a warning: the run goes on locally.
 */
export class TieredStore extends LocalStore implements EntryStore {
  private tier: Promise<RemoteTier> | null = null;
  private readonly reports = new Map<string, RemoteReport>();
  private readonly leases = new Map<string, () => Promise<string[]>>();
  private readonly said = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Each held key lock, so a --remote-only replace never overwrites a run that took over a compromised lock. */
  private readonly held = new Map<string, KeyLockHandle>();

  constructor(
    dataFolder: string,
    private readonly options: TieredOptions,
  ) {
    super(dataFolder, { minFreeSpace: options.minFreeSpace });
  }

  remoteReport(ref: EntryRef): RemoteReport {
    const id = refId(ref);
    let report = this.reports.get(id);
    if (!report) {
      report = { lookup: 'skipped', upload: null };
      this.reports.set(id, report);
    }
    return report;
  }

  override async lookup(ref: EntryRef, expected: KeyInputs, opts: LookupOptions = {}): Promise<Lookup> {
    // A long-lived store (the library) runs a key many times: each run starts with a fresh report.
    if (!opts.repair) this.reports.delete(refId(ref));
    const local: Lookup = this.options.remoteOnly
      ? { status: 'miss', corrupt: null }
      : await super.lookup(ref, expected, opts);
    // Asked only under the key's lock: one fetch per key however many local processes wait for it.
    if (local.status === 'hit' || !opts.repair) return local;
    const tier = await this.remote();
    const fetched = await this.fetch(tier, ref, expected, opts);
    if (fetched) return fetched;
    const lease = await tier.acquireLease(ref);
    this.say(lease.warnings);
    if (lease.status === 'ready') return (await this.fetch(tier, ref, expected, opts)) ?? local;
    if (lease.status === 'acquired') this.leases.set(refId(ref), lease.release);
    return local;
  }

  override async lock(
    ref: EntryRef,
    opts: { onWait?: (owner: Partial<Owner> | null) => void } = {},
  ): Promise<KeyLockHandle> {
    const handle = await super.lock(ref, opts);
    this.reports.delete(refId(ref));
    this.held.set(refId(ref), handle);
    return {
      get compromised() {
        return handle.compromised;
      },
      release: async () => {
        if (this.held.get(refId(ref)) === handle) this.held.delete(refId(ref));
        await this.releaseLease(ref);
        await handle.release();
      },
    };
  }

  override async put(staged: StagedRun, run: PutRequest): Promise<PutOutcome> {
    const { ref } = staged;
    // --remote-only: the local entry is no source, so the run replaces it (unless the lock was compromised meanwhile).
    const replace = run.replace || (Boolean(this.options.remoteOnly) && !this.held.get(refId(ref))?.compromised);
    const out = await super.put(staged, { ...run, replace });
    const report = this.remoteReport(ref);
    if (out.storage.kind === 'stored' && out.entry && this.options.backgroundUploads) {
      // The lease goes with the upload: released when the artifact is there (or the upload failed).
      const release = this.leases.get(refId(ref));
      this.leases.delete(refId(ref));
      report.upload = 'pending';
      const job = this.upload(ref, run.durationMs).then(async (status) => {
        report.upload = status;
        if (release) this.say(await release());
        return status;
      });
      report.settled = job;
      this.pending.add(job);
      void job.finally(() => this.pending.delete(job));
      return out;
    }
    if (out.storage.kind === 'stored' && out.entry) {
      report.upload = await this.upload(ref, run.durationMs);
    } else {
      report.upload = 'skipped';
    }
    await this.releaseLease(ref);
    return out;
  }

  private async upload(ref: EntryRef, durationMs: number): Promise<UploadOutcome['status']> {
    try {
      const tier = await this.remote();
      const up = await tier.upload(ref, this.layout.entryDir(ref), durationMs);
      this.say(up.warnings);
      return up.status;
    } catch (err) {
      this.say([`remote ${this.options.settings.server}: uploading failed (${(err as Error).message})`]);
      return 'error';
    }
  }

  /** Waits for every background upload started so far (and those they start). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** The remote tier itself (`cachex remote …`). */
  remoteTier(): Promise<RemoteTier> {
    return this.remote();
  }

  /**
   * `cachex remote pull`: fetches `ref` into the local store, verified as a
   * remote hit is. `expected` null (a pull by key): the key inputs must hash
   * to the key. An intact local entry is kept ('present').
   */
  async pull(ref: EntryRef, expected: KeyInputs | null): Promise<'pulled' | 'present' | RemoteReport['lookup']> {
    if (await this.open(ref)) return 'present';
    const tier = await this.remote();
    const fetched = await this.fetch(tier, ref, expected, { record: false });
    return fetched ? 'pulled' : this.remoteReport(ref).lookup;
  }

  /** `cachex remote push`: uploads a local entry unless the server has it; the same signed upload as after a miss. */
  async push(ref: EntryRef): Promise<'present' | 'missing' | UploadOutcome['status']> {
    const entry = await this.open(ref);
    if (!entry) return 'missing';
    const has = await this.remoteHas(ref);
    if (has === true) return 'present';
    if (has === null) return 'error';
    const up = await (await this.remote()).upload(ref, this.layout.entryDir(ref), entry.meta().durationMs);
    this.say(up.warnings);
    return up.status;
  }

  /** Whether the server holds `ref`'s artifact (null: it could not say; the warning is printed). */
  async remoteHas(ref: EntryRef): Promise<boolean | null> {
    const tier = await this.remote();
    const has = await tier.has(ref);
    this.say(tier.policy.takeWarnings());
    return has;
  }

  /** The tier, imported on first use (a local hit never gets here). */
  private remote(): Promise<RemoteTier> {
    this.tier ??= openRemoteTier(this.options.settings, { dataFolder: this.root, ...this.options.tier });
    return this.tier;
  }

  private async fetch(
    tier: RemoteTier,
    ref: EntryRef,
    expected: KeyInputs | null,
    opts: LookupOptions,
  ): Promise<Lookup | null> {
    const staging = this.stage(ref) as Staging;
    try {
      const got = await tier.fetchInto(ref, expected, staging.dir);
      this.say(got.warnings);
      this.remoteReport(ref).lookup = got.status;
      if (got.status !== 'hit' || !got.stamps) return null;
      await staging.commitAsIs(got.stamps, Boolean(this.options.remoteOnly));
      const stored = await super.lookup(ref, expected ?? (got.meta as EntryMeta).keyInputs, { record: opts.record });
      return stored.status === 'hit' ? { ...stored, source: 'remote' } : null;
    } catch (err) {
      // Committing into the local store failed: run locally, as for any remote trouble.
      this.say([
        `remote ${this.options.settings.server}: keeping the fetched entry failed (${(err as Error).message})`,
      ]);
      this.remoteReport(ref).lookup = 'error';
      return null;
    } finally {
      staging.discard();
    }
  }

  private async releaseLease(ref: EntryRef): Promise<void> {
    const release = this.leases.get(refId(ref));
    if (!release) return;
    this.leases.delete(refId(ref));
    this.say(await release());
  }

  /** Each distinct warning once, with any secret masked (belt and braces: the tier never puts one in). */
  private say(lines: string[]): void {
    const secrets = secretsOf(this.options.settings);
    for (let line of lines) {
      for (const s of secrets) line = line.split(s).join('***');
      if (this.said.has(line)) continue;
      this.said.add(line);
      this.options.warn(`cachex: ${line}`);
    }
  }
}
