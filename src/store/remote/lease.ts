import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntryRef } from '../layout.js';
import type { Backend } from './backend.js';
import { readBody } from './http.js';
import { LEASE_DOMAIN, sign, signatureMatches } from './signing.js';

/**
 * An advisory lease, so N runners that miss the same key at once run it
 * once. It is an ordinary object beside the artifact (no server offers
 * compare-and-swap): PUT ours, wait for concurrent PUTs to settle, read it
 * back, and run only if it names us, twice (see acquire). The holder re-PUTs it with a rising
 * `beat`; waiters poll HEAD of the artifact and take over when the beat has
 * not changed for staleMs on their own monotonic clock, or when it is
 * released; then HEAD of the artifact tells whether to fetch or to run. A lost race or a dead server only costs a duplicate run.
 */
export interface LeaseRecord {
  format: 1;
  namespace: string;
  module: string;
  task: string;
  key: string;
  owner: string;
  beat: number;
  released: boolean;
  /** Holder's wall clock: only to ignore leases left hours ago, never for staleness. */
  at: number;
  signature: string | null;
}

export interface LeaseTimings {
  settleMs: number;
  beatMs: number;
  staleMs: number;
  pollMs: number;
  /** A lease whose wall-clock time is older than this is ignored outright (a holder that died long ago). */
  maxAgeMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = {
  settleMs: 250,
  beatMs: 10_000,
  staleMs: 30_000,
  pollMs: 1000,
  maxAgeMs: 10 * 60_000,
};

export type LeaseOutcome =
  /** Run the task, upload, then release. */
  | { status: 'acquired'; release: () => Promise<void> }
  /** The artifact appeared while waiting: fetch it. */
  | { status: 'ready' };

/** Per-request deadline for lease traffic (not charged to the read budget: waiting is the point). */
const LEASE_REQUEST_MS = 15_000;

function fields(r: Omit<LeaseRecord, 'signature'>): string[] {
  return [r.namespace, `${r.module}/${r.task}/${r.key}`, r.owner, String(r.beat), String(r.released), String(r.at)];
}

export class LeaseClient {
  constructor(
    private readonly backend: Backend,
    private readonly namespace: string,
    private readonly signingKey: Buffer | null,
    private readonly timings: LeaseTimings = DEFAULT_LEASE_TIMINGS,
  ) {}

  private deadline(): number {
    return performance.now() + LEASE_REQUEST_MS;
  }

  private record(ref: EntryRef, owner: string, beat: number, released: boolean): LeaseRecord {
    const base = { format: 1 as const, namespace: this.namespace, ...ref, owner, beat, released, at: Date.now() };
    return { ...base, signature: this.signingKey ? sign(this.signingKey, LEASE_DOMAIN, fields(base)) : null };
  }

  private async write(ref: EntryRef, record: LeaseRecord): Promise<void> {
    const body = Buffer.from(JSON.stringify(record));
    const status = await this.backend.put(
      'lease',
      ref,
      { body, size: body.length, tag: record.signature ?? 'unsigned' },
      this.deadline(),
    );
    if (status < 200 || status > 299) throw new LeaseUnavailable(`lease write answered ${status}`, status);
  }

  /** The current lease, or null when there is none we can trust (missing, unsigned, forged, for another entry). */
  async read(ref: EntryRef): Promise<LeaseRecord | null> {
    const res = await this.backend.get('lease', ref, this.deadline());
    const body = await readBody(res.body, 64 * 1024);
    if (res.status === 404) return null;
    if (res.status !== 200) throw new LeaseUnavailable(`lease read answered ${res.status}`, res.status);
    let r: LeaseRecord;
    try {
      r = JSON.parse(body.toString('utf8'));
    } catch {
      return null;
    }
    if (r?.format !== 1 || r.namespace !== this.namespace || r.module !== ref.module || r.task !== ref.task)
      return null;
    if (r.key !== ref.key || typeof r.owner !== 'string' || !Number.isSafeInteger(r.beat) || !Number.isFinite(r.at))
      return null;
    if (this.signingKey && !signatureMatches(this.signingKey, LEASE_DOMAIN, fields(r), r.signature)) return null;
    return r;
  }

  private async artifactReady(ref: EntryRef): Promise<boolean> {
    const status = await this.backend.head('artifact', ref, this.deadline());
    if (status === 200) return true;
    if (status === 404) return false;
    throw new LeaseUnavailable(`artifact check answered ${status}`, status);
  }

  /** Takes the lease or waits until the artifact is there; throws LeaseUnavailable or a TransportError when the server fails. */
  async acquire(ref: EntryRef): Promise<LeaseOutcome> {
    const me = randomUUID();
    const t = this.timings;
    let stale: { owner: string; beat: number } | null = null;
    for (;;) {
      const current = await this.read(ref);
      const live =
        current &&
        !current.released &&
        Date.now() - current.at < t.maxAgeMs &&
        !(stale && stale.owner === current.owner && stale.beat === current.beat);
      // An artifact counts only once no live lease covers it: servers write uploads in place, so
      // while the holder is still uploading, HEAD can already see a half-written artifact.
      if (!live && (await this.artifactReady(ref))) return { status: 'ready' };
      if (!live) {
        const back = await this.claim(ref, me);
        if (back?.owner === me) return { status: 'acquired', release: this.hold(ref, me) };
        if (!back) continue;
      }
      // Someone holds it: watch its beat on our own clock until it is released or goes stale.
      const watched = (await this.read(ref)) ?? current;
      if (!watched) continue;
      let last = { owner: watched.owner, beat: watched.beat };
      let since = performance.now();
      for (;;) {
        await sleep(t.pollMs);
        const now = await this.read(ref);
        if (!now || now.released) break;
        if (now.owner !== last.owner || now.beat !== last.beat) {
          last = { owner: now.owner, beat: now.beat };
          since = performance.now();
        } else if (performance.now() - since >= t.staleMs) {
          stale = last;
          break;
        }
      }
    }
  }

  /**
   * PUTs our lease and reads back who holds it once concurrent PUTs have landed. Two runners both
   * win only when one of them read "no lease" before the other's PUT landed and its own PUT lands
   * after the other's last read: its read-to-PUT time outlasted the wait. So the wait follows this
   * server's latency (a loaded machine or server took a fixed 250 ms past it: a key ran twice),
   * and a first read that names us is confirmed by a second one after another wait.
   */
  private async claim(ref: EntryRef, me: string): Promise<LeaseRecord | null> {
    const started = performance.now();
    await this.write(ref, this.record(ref, me, 0, false));
    const settle = Math.max(this.timings.settleMs, 2 * (performance.now() - started));
    await sleep(settle);
    const first = await this.read(ref);
    if (first?.owner !== me) return first;
    await sleep(settle);
    return this.read(ref);
  }

  /** Starts the heartbeat; returns release (stops it and marks the lease released). */
  private hold(ref: EntryRef, me: string): () => Promise<void> {
    let beat = 0;
    let stopped = false;
    const timer = setInterval(() => {
      beat++;
      this.write(ref, this.record(ref, me, beat, false)).catch(() => {
        /* a missed beat only lets a waiter take over early */
      });
    }, this.timings.beatMs);
    timer.unref();
    return async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await this.write(ref, this.record(ref, me, beat + 1, true));
    };
  }
}

export class LeaseUnavailable extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
