import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_TIMEOUTS,
  drain,
  type RequestSpec,
  type Response,
  send,
  type Timeouts,
  TransportError,
} from './http.js';
import { makeDirs } from '../make-dirs.js';

/**
 * How the remote tier fails: a slow, dead or refusing server costs at most
 * its budget, is reported once, and never fails a run.
 *
 * - an outage (timeout, refused or reset connection, 5xx after its retry)
 *   switches the remote off for the rest of the process — no further reads,
 *   no uploads — and counts toward remote-state.json: 3 in a row (across
 *   processes) switch it off for 60 s for every process using the data folder;
 * - 401/403 on a read: off for the process; 403 (or 401) on an upload:
 *   read-only for the rest of the process;
 * - all reads of one invocation share one budget (30 s); each upload has 60 s.
 */
export interface PolicyOptions {
  /** DATA_FOLDER/remote-state.json. */
  stateFile: string;
  timeouts?: Timeouts;
  readBudgetMs?: number;
  uploadBudgetMs?: number;
  outagesToSwitchOff?: number;
  switchOffMs?: number;
}

export interface ServerState {
  outages: number;
  offUntil: number;
}

export interface Counters {
  requests: Record<string, number>;
  bytesDown: number;
  bytesUp: number;
  hits: number;
  misses: number;
  rejected: number;
  errors: number;
  stored: number;
  outages: number;
}

export class RemotePolicy {
  readonly timeouts: Timeouts;
  private readonly readBudgetMs: number;
  readonly uploadBudgetMs: number;
  private readSpentMs = 0;
  /** Why the remote is off for this process, once it is. */
  off: string | null = null;
  /** Why uploads are refused for this process (a 403 on an upload). */
  readOnly: string | null = null;
  private readonly warned = new Set<string>();
  private pending: string[] = [];
  private checkedState = false;
  readonly counters: Counters = {
    requests: {},
    bytesDown: 0,
    bytesUp: 0,
    hits: 0,
    misses: 0,
    rejected: 0,
    errors: 0,
    stored: 0,
    outages: 0,
  };

  constructor(
    readonly server: string,
    private readonly options: PolicyOptions,
  ) {
    this.timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
    this.readBudgetMs = options.readBudgetMs ?? 30_000;
    this.uploadBudgetMs = options.uploadBudgetMs ?? 60_000;
  }

  /** One warning per problem, naming the server and the reason. */
  warn(reason: string): void {
    if (this.warned.has(reason)) return;
    this.warned.add(reason);
    this.pending.push(`remote ${this.server}: ${reason}`);
  }

  /** Warnings since the last call, for the caller to print. */
  takeWarnings(): string[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Reads remote-state.json once per process: a remote switched off by earlier outages stays off until its time. */
  usable(): boolean {
    if (!this.checkedState) {
      this.checkedState = true;
      const state = this.readState();
      if (state.offUntil > Date.now()) {
        const seconds = Math.ceil((state.offUntil - Date.now()) / 1000);
        this.off = 'switched off after repeated outages';
        this.warn(`switched off for another ${seconds} s after repeated outages; running without it`);
      }
    }
    return this.off === null;
  }

  /** Deadline for the next read, or null when the invocation's read budget is spent. */
  readDeadline(): number | null {
    const left = this.readBudgetMs - this.readSpentMs;
    if (left <= 0) {
      this.off = 'read budget spent';
      this.warn(`reads took the whole budget of ${this.readBudgetMs / 1000} s; running without it`);
      return null;
    }
    return performance.now() + left;
  }

  spentReading(ms: number): void {
    this.readSpentMs += ms;
  }

  uploadDeadline(): number {
    return performance.now() + this.uploadBudgetMs;
  }

  /** A server failure that counts as an outage. */
  outage(reason: string): void {
    this.counters.outages++;
    this.off = reason;
    this.warn(`${reason}; running without it for the rest of this process`);
    const state = this.readState();
    state.outages++;
    if (state.outages >= (this.options.outagesToSwitchOff ?? 3)) {
      state.offUntil = Date.now() + (this.options.switchOffMs ?? 60_000);
      state.outages = 0;
    }
    this.writeState(state);
  }

  /** A request answered: the outage streak is over. */
  answered(): void {
    const state = this.readState();
    if (state.outages > 0 || state.offUntil > 0) this.writeState({ outages: 0, offUntil: 0 });
  }

  refusedRead(status: number): void {
    this.off = `refused (${status})`;
    this.warn(`the server refused the token (${status}); running without it for the rest of this process`);
  }

  refusedUpload(status: number): void {
    this.readOnly = `upload refused (${status})`;
    this.warn(`the server refused an upload (${status}); read-only for the rest of this process`);
  }

  /**
   * Sends one request with one retry on a reset connection, 5xx, 429 or 412
   * (a conditional write that raced another); a timeout is not retried — the
   * budget is already spent.
   */
  async exchange(spec: Omit<RequestSpec, 'timeouts' | 'deadline'>, deadline: number): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt === 1 || performance.now() >= deadline;
      this.counters.requests[spec.method] = (this.counters.requests[spec.method] ?? 0) + 1;
      let res: Response;
      try {
        res = await send({ ...spec, deadline, timeouts: this.timeouts });
      } catch (err) {
        if (!last && err instanceof TransportError && err.kind === 'reset') continue;
        throw err;
      }
      const retryable = res.status >= 500 || res.status === 429 || res.status === 412;
      if (!retryable || last) {
        if (res.status < 500) this.answered();
        return res;
      }
      drain(res.body);
    }
  }

  /** This server's entry of remote-state.json (for `cachex remote status`). */
  savedState(): ServerState {
    return this.readState();
  }

  private stateOf(): Record<string, ServerState> {
    try {
      const all = JSON.parse(readFileSync(this.options.stateFile, 'utf8'));
      return all && typeof all === 'object' ? all : {};
    } catch {
      return {};
    }
  }

  private readState(): ServerState {
    const s = this.stateOf()[this.server];
    return {
      outages: Number.isFinite(s?.outages) ? s.outages : 0,
      offUntil: Number.isFinite(s?.offUntil) ? s.offUntil : 0,
    };
  }

  /** Best effort, atomic: a read-only data folder just forgets outages. */
  private writeState(state: ServerState): void {
    try {
      const all = this.stateOf();
      all[this.server] = state;
      makeDirs(path.dirname(this.options.stateFile));
      const temp = `${this.options.stateFile}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(temp, JSON.stringify(all));
      renameSync(temp, this.options.stateFile);
    } catch {
      /* ignore */
    }
  }
}

/** Words for a transport failure in a warning. */
export function transportReason(err: TransportError): string {
  return err.message;
}
