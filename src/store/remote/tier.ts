import path from 'node:path';
import type { KeyInputs } from '../../key/inputs.js';
import type { EntryRef } from '../layout.js';
import type { EntryMeta } from '../meta.js';
import { ApiBackend } from './api-backend.js';
import { importArtifact } from './artifact-import.js';
import { PackRefused, packArtifact } from './artifact-pack.js';
import type { Backend, Listed } from './backend.js';
import { classify, drain, readBody, type Timeouts, TransportError } from './http.js';
import { DEFAULT_LEASE_TIMINGS, LeaseClient, type LeaseTimings, LeaseUnavailable } from './lease.js';
import { type Counters, RemotePolicy, type ServerState } from './policy.js';
import { ListRefused, S3Backend } from './s3-backend.js';
import type { RemoteSettings } from './settings.js';

export interface RemoteTierOptions {
  /** The data folder: remote-state.json lives there, artifacts are built in its tmp/. */
  dataFolder: string;
  timeouts?: Timeouts;
  readBudgetMs?: number;
  uploadBudgetMs?: number;
  lease?: Partial<LeaseTimings>;
  /** S3 multipart part size (tests make it small). */
  partSize?: number;
}

export type FetchOutcome = {
  status: 'hit' | 'miss' | 'rejected' | 'error';
  /** On a hit: the entry's meta; stagingDir is laid out like an entry folder. */
  meta?: EntryMeta;
  /** On a hit: stat stamps of the outputs, for verified.json. */
  stamps?: Record<string, string>;
  warnings: string[];
};

/** What a token check found (`cachex remote status`). */
export type ProbeOutcome =
  | { status: 'ok'; code: number; ms: number }
  | { status: 'refused'; code: number; ms: number }
  | { status: 'answered'; code: number; detail?: string; ms: number }
  | { status: 'unreachable'; reason: string; ms: number };

/** A listing, or why there is none. */
export type ListOutcome =
  | { status: 'listed'; artifacts: Listed[] }
  | { status: 'cannot-list' }
  | { status: 'error'; reason: string; code?: number };

export type UploadOutcome = { status: 'stored' | 'skipped' | 'read-only' | 'error'; warnings: string[] };

export type LeaseResult =
  | { status: 'acquired'; release: () => Promise<string[]>; warnings: string[] }
  | { status: 'ready'; warnings: string[] }
  /** No lease (disabled, read-only, server failing): just run. */
  | { status: 'none'; warnings: string[] };

const short = (ref: EntryRef) => `${ref.task} ${ref.key.slice(0, 12)}`;
const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

/**
 * The remote tier below the store interface: fetch an entry into a staging
 * folder, upload a local entry, and the lease. Every failure is a value and
 * at most one warning per problem; nothing here throws for a server's sake.
 */
export class RemoteTier {
  readonly policy: RemotePolicy;
  private readonly backend: Backend;
  private readonly leases: LeaseClient;

  constructor(
    readonly settings: RemoteSettings,
    private readonly options: RemoteTierOptions,
  ) {
    this.policy = new RemotePolicy(settings.server, {
      stateFile: path.join(options.dataFolder, 'remote-state.json'),
      timeouts: options.timeouts,
      readBudgetMs: options.readBudgetMs,
      uploadBudgetMs: options.uploadBudgetMs,
    });
    const exchange = this.policy.exchange.bind(this.policy);
    this.backend =
      settings.kind === 's3' ? new S3Backend(settings, exchange, options.partSize) : new ApiBackend(settings, exchange);
    this.leases = new LeaseClient(this.backend, settings.namespace, settings.signingKey, {
      ...DEFAULT_LEASE_TIMINGS,
      ...options.lease,
    });
  }

  get counters(): Counters {
    return this.policy.counters;
  }

  /** remote-state.json's word on this server, as saved by earlier processes. */
  savedState(): ServerState {
    return this.policy.savedState();
  }

  /**
   * One real request with the token (GET of an artifact nobody stores, within
   * 10 s): 404 or 200 means the server took it; 401/403 that it refused it.
   * A diagnostic: it ignores a remote switched off by earlier outages.
   */
  async probe(): Promise<ProbeOutcome> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const ref = { module: 'cachex-status', task: 'probe', key: '0'.repeat(64) };
    try {
      // GET, not HEAD: S3 says in the body whether the key or the whole bucket is missing.
      const res = await this.backend.get('artifact', ref, performance.now() + 10_000);
      const body = (await readBody(res.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
      const code = res.status;
      if (code === 404 && /NoSuchBucket/.test(body))
        return { status: 'answered', code, detail: 'the bucket does not exist', ms: ms() };
      if (code === 404 || code === 200) return { status: 'ok', code, ms: ms() };
      if (code === 401 || code === 403) return { status: 'refused', code, ms: ms() };
      return { status: 'answered', code, ms: ms() };
    } catch (err) {
      return { status: 'unreachable', reason: (err as Error).message, ms: ms() };
    }
  }

  /** Whether the server holds the artifact of `ref`: true, false, or null when it could not say. */
  async has(ref: EntryRef): Promise<boolean | null> {
    if (!this.policy.usable()) return null;
    const deadline = this.policy.readDeadline();
    if (deadline === null) return null;
    const started = performance.now();
    try {
      const code = await this.backend.head('artifact', ref, deadline);
      if (code === 200) return true;
      if (code === 404) return false;
      if (code === 401 || code === 403) this.policy.refusedRead(code);
      else if (code >= 500) this.policy.outage(`asking for ${short(ref)} failed: server error ${code}`);
      else this.policy.warn(`asking for ${short(ref)} answered ${code}`);
      return null;
    } catch (err) {
      this.failed(err, `asking for ${short(ref)} failed`);
      return null;
    } finally {
      this.policy.spentReading(performance.now() - started);
    }
  }

  /** The namespace's artifacts, where the backend can list (S3); the Turborepo API cannot. */
  async list(): Promise<ListOutcome> {
    if (!this.backend.list) return { status: 'cannot-list' };
    try {
      return { status: 'listed', artifacts: await this.backend.list(performance.now() + 30_000) };
    } catch (err) {
      if (err instanceof ListRefused) return { status: 'error', reason: err.message, code: err.status };
      return { status: 'error', reason: (err as Error).message };
    }
  }

  /** A server failure: an outage, or a refusal with its own rule. */
  private failed(err: unknown, what: string): void {
    if (err instanceof TransportError) this.policy.outage(`${what}: ${err.message}`);
    else if (err instanceof LeaseUnavailable && err.status >= 500)
      this.policy.outage(`${what}: server error ${err.status}`);
    else if (err instanceof LeaseUnavailable && (err.status === 401 || err.status === 403))
      this.policy.refusedRead(err.status);
    else this.policy.warn(`${what}: ${(err as Error)?.message ?? String(err)}`);
  }

  private done<const T extends object>(outcome: T): T & { warnings: string[] } {
    return { ...outcome, warnings: this.policy.takeWarnings() };
  }

  /** Looks the entry up on the server and, on a hit, lays it out verified in stagingDir. */
  async fetchInto(ref: EntryRef, keyInputs: KeyInputs | null, stagingDir: string): Promise<FetchOutcome> {
    const c = this.policy.counters;
    if (!this.policy.usable()) return this.done({ status: 'error' });
    const deadline = this.policy.readDeadline();
    if (deadline === null) return this.done({ status: 'error' });
    const started = performance.now();
    try {
      const res = await this.backend.get('artifact', ref, deadline);
      if (res.status === 404) {
        drain(res.body);
        c.misses++;
        return this.done({ status: 'miss' });
      }
      if (res.status !== 200) {
        drain(res.body);
        c.errors++;
        if (res.status === 401 || res.status === 403) this.policy.refusedRead(res.status);
        else if (res.status >= 500) this.policy.outage(`reading failed: server error ${res.status}`);
        else this.policy.warn(`reading ${short(ref)} answered ${res.status}`);
        return this.done({ status: 'error' });
      }
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > this.settings.maxArtifactSize) {
        res.body.destroy();
        c.rejected++;
        this.policy.warn(
          `the artifact for ${short(ref)} is ${mib(length)}, over remote.maxArtifactSize; running locally`,
        );
        return this.done({ status: 'rejected' });
      }
      const tag = res.headers['x-artifact-tag'];
      const imported = await importArtifact(res.body, {
        ref,
        namespace: this.settings.namespace,
        expectedKeyInputs: keyInputs,
        signingKey: this.settings.signingKey,
        stagingDir,
        tag: typeof tag === 'string' && this.settings.kind === 'api' ? tag : null,
        maxArtifactBytes: this.settings.maxArtifactSize,
      });
      c.bytesDown += imported.bytes;
      if (imported.ok) {
        c.hits++;
        return this.done({ status: 'hit', meta: imported.meta, stamps: imported.stamps });
      }
      if (imported.transport) {
        c.errors++;
        // The body stream may report the raw socket error ("aborted") before send() classifies it: a reset is an outage.
        this.failed(classify(imported.transport as NodeJS.ErrnoException), `reading ${short(ref)}`);
        return this.done({ status: 'error' });
      }
      c.rejected++;
      this.policy.warn(`the artifact for ${short(ref)} was refused (${imported.reason}); running locally`);
      return this.done({ status: 'rejected' });
    } catch (err) {
      c.errors++;
      this.failed(err, 'reading failed');
      return this.done({ status: 'error' });
    } finally {
      this.policy.spentReading(performance.now() - started);
    }
  }

  /** Uploads a local entry folder (after a local run stored it). */
  async upload(ref: EntryRef, entryDir: string, durationMs?: number): Promise<UploadOutcome> {
    if (this.settings.readOnly) return this.done({ status: 'read-only' });
    if (this.policy.readOnly) return this.done({ status: 'read-only' });
    if (!this.policy.usable()) return this.done({ status: 'skipped' });
    let packed: Awaited<ReturnType<typeof packArtifact>>;
    try {
      packed = await packArtifact(entryDir, {
        ref,
        namespace: this.settings.namespace,
        signingKey: this.settings.signingKey,
        tmpDir: path.join(this.options.dataFolder, 'tmp'),
      });
    } catch (err) {
      const why = err instanceof PackRefused ? err.message : `cannot pack it (${(err as Error).message})`;
      this.policy.warn(`not uploading ${short(ref)}: ${why}`);
      return this.done({ status: 'skipped' });
    }
    try {
      if (packed.size > this.settings.maxArtifactSize) {
        this.policy.warn(`not uploading ${short(ref)}: ${mib(packed.size)} is over remote.maxArtifactSize`);
        return this.done({ status: 'skipped' });
      }
      const status = await this.backend.put(
        'artifact',
        ref,
        {
          body: { file: packed.file, start: 0, length: packed.size },
          size: packed.size,
          sha256: packed.sha256,
          tag: packed.signature ?? 'unsigned',
          durationMs,
        },
        this.policy.uploadDeadline(),
      );
      if (status >= 200 && status < 300) {
        this.policy.counters.stored++;
        this.policy.counters.bytesUp += packed.size;
        return this.done({ status: 'stored' });
      }
      this.policy.counters.errors++;
      if (status === 401 || status === 403) {
        this.policy.refusedUpload(status);
        return this.done({ status: 'read-only' });
      }
      if (status === 413) this.policy.warn(`the server refused ${short(ref)} as too large (413, ${mib(packed.size)})`);
      else if (status >= 500) this.policy.outage(`uploading failed: server error ${status}`);
      else this.policy.warn(`uploading ${short(ref)} answered ${status}`);
      return this.done({ status: 'error' });
    } catch (err) {
      this.policy.counters.errors++;
      this.failed(err, 'uploading failed');
      return this.done({ status: 'error' });
    } finally {
      packed.remove();
    }
  }

  /** On a miss, before running: take the lease, or wait until another runner's artifact is there. */
  async acquireLease(ref: EntryRef): Promise<LeaseResult> {
    if (!this.settings.lease || this.settings.readOnly || this.policy.readOnly || !this.policy.usable())
      return this.done({ status: 'none' });
    try {
      const got = await this.leases.acquire(ref);
      if (got.status === 'ready') return this.done({ status: 'ready' });
      const release = async (): Promise<string[]> => {
        try {
          await got.release();
        } catch (err) {
          this.failed(err, 'releasing the lease failed');
        }
        return this.policy.takeWarnings();
      };
      return this.done({ status: 'acquired', release });
    } catch (err) {
      this.failed(err, 'the lease failed');
      return this.done({ status: 'none' });
    }
  }
}
