import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { TaskContext } from '../config/types.js';
import { CachexError, storeErrorFrom } from '../errors.js';
import type { KeyInputs } from '../key/inputs.js';
import { acquireKeyLock } from '../lock/key-lock.js';
import type { Owner } from '../lock/owner.js';
import { ENTRY_FILES, type EntryRef, type Layout } from '../store/layout.js';
import { loadEntry, recordHit, setAside, type LoadedEntry } from '../store/load.js';
import type { EntryMeta, ParamRecord } from '../store/meta.js';
import { OutputRefused } from '../store/outputs.js';
import { encodeResult } from '../store/result.js';
import { writeChunked } from '../store/chunked.js';

const CHUNKED_FILE = 'result.v8c';
import { Staging } from '../store/staging.js';
import { restoreSwappedOut } from '../store/sweep.js';
import { Interrupt } from '../runner/interrupt.js';
import { LogSink } from '../runner/log-sink.js';
import type { RunIo, RunResult } from '../runner/types.js';
import type { Params } from '../tasks/params.js';
import type { TaskDef } from '../tasks/task.js';
import { CACHEX_VERSION } from '../version.js';
import { inputStamps } from './input-stamps.js';

export interface RunEvents {
  /** Another process runs this key; we wait for it. */
  onWait?: (owner: Partial<Owner> | null) => void;
  /** A stored entry failed its integrity check and will be recomputed. */
  onCorrupt?: (file: string, reason: string) => void;
  /** The task starts executing (a miss). */
  onStart?: () => void;
}

export interface RunRequest {
  layout: Layout;
  task: TaskDef;
  params: Params;
  key: string;
  inputs: KeyInputs;
  force: boolean;
  execute: (io: RunIo, ctx: TaskContext) => Promise<RunResult & { unserialisable?: string }>;
  /** Where live output goes during a miss (null: captured only). */
  live: { stdout: NodeJS.WritableStream | null; stderr: NodeJS.WritableStream | null };
  events?: RunEvents;
  /** Called with the folder holding the outputs (entry or staging) before staging is dropped. */
  onOutputs?: (outDir: string, meta: EntryMeta | null) => Promise<void>;
}

export interface RunOutcome {
  status: 'hit' | 'miss' | 'forced';
  ref: EntryRef;
  exitCode: number;
  /** The stored entry, when there is one. */
  entryDir: string | null;
  meta: EntryMeta | null;
  /** Replayed logs (hits only; a miss streamed them live). */
  stdout: Buffer | null;
  stderr: Buffer | null;
  /** The serialised return value (function tasks). */
  result: Buffer | null;
  liveValue?: unknown;
  durationMs: number;
  /** Why a miss was not stored, when it was not. */
  notStored: string | null;
  /** The store failed after the task ran; the CLI exits 4 after showing the task's own output. */
  storeError: CachexError | null;
  storedBytes: number;
}

function hitOutcome(ref: EntryRef, entry: LoadedEntry): RunOutcome {
  return {
    status: 'hit',
    ref,
    exitCode: entry.meta.exitCode,
    entryDir: entry.dir,
    meta: entry.meta,
    stdout: entry.stdout,
    stderr: entry.stderr,
    result: entry.result,
    liveValue: entry.value,
    durationMs: entry.meta.durationMs,
    notStored: null,
    storeError: null,
    storedBytes: 0,
  };
}

export function paramRecords(task: TaskDef, params: Params): Record<string, ParamRecord> {
  const records: Record<string, ParamRecord> = {};
  for (const [name, value] of Object.entries(params)) {
    records[name] = task.ignore.includes(name) ? { value, ignored: true } : { value };
  }
  return records;
}

/** Looks the key up and returns a checked hit, or null (reporting corruption). */
async function lookup(req: RunRequest, ref: EntryRef): Promise<LoadedEntry | null> {
  const found = await loadEntry(req.layout, ref, req.inputs);
  if (found.status === 'hit') return found.entry;
  if (found.status === 'corrupt') {
    req.events?.onCorrupt?.(found.file, found.reason);
  }
  return null;
}

/**
 * One run, start to end: hit → the checked entry; miss → lock the key, look
 * again (another process may have stored it meanwhile), execute into a staging
 * folder, and commit it whole when the run qualifies.
 */
export async function runTask(req: RunRequest): Promise<RunOutcome> {
  const ref: EntryRef = { module: req.task.module, task: req.task.name, key: req.key };
  if (!req.force) {
    const entry = await lookup(req, ref);
    if (entry) {
      recordHit(entry.dir);
      await req.onOutputs?.(path.join(entry.dir, ENTRY_FILES.out), entry.meta);
      return hitOutcome(ref, entry);
    }
  }
  const lock = await acquireKeyLock(req.layout.lockTarget(ref), { onWait: req.events?.onWait });
  const interrupt = new Interrupt();
  try {
    if (!req.force) {
      restoreSwappedOut(req.layout, ref);
      const found = await loadEntry(req.layout, ref, req.inputs);
      if (found.status === 'hit') {
        recordHit(found.entry.dir);
        await req.onOutputs?.(path.join(found.entry.dir, ENTRY_FILES.out), found.entry.meta);
        return hitOutcome(ref, found.entry);
      }
      if (found.status === 'corrupt') setAside(req.layout, ref);
    }
    return await execute(req, ref, interrupt);
  } finally {
    await lock.release();
    interrupt.reraise();
  }
}

/** Below this much free space, a failed run is taken to have failed for want of space. */
const FULL_BYTES = 1 << 20;

function diskFull(dir: string): boolean {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize < FULL_BYTES;
  } catch {
    return false;
  }
}

function openLogs(staging: Staging, req: RunRequest): { stdout: LogSink; stderr: LogSink } {
  let stdout: LogSink | null = null;
  try {
    stdout = new LogSink(staging.stdoutPath, req.live.stdout);
    return { stdout, stderr: new LogSink(staging.stderrPath, req.live.stderr) };
  } catch (err) {
    stdout?.close();
    throw storeErrorFrom(err, 'creating the log files of this run');
  }
}

async function execute(req: RunRequest, ref: EntryRef, interrupt: Interrupt): Promise<RunOutcome> {
  const staging = Staging.create(req.layout, ref);
  interrupt.install(() => staging.discard());
  try {
    const io: RunIo = { outDir: staging.outDir, ...openLogs(staging, req), interrupt };
    const before = inputStamps(req.task.params, req.params);
    req.events?.onStart?.();
    const started = Date.now();
    const created = new Date(started).toISOString();
    let run: RunResult & { unserialisable?: string };
    try {
      run = await req.execute(io, { outDir: staging.outDir, task: req.task.name, key: req.key });
      interrupt.finishing();
    } catch (err) {
      interrupt.finishing();
      // A library function that throws: close the logs so their descriptors do not leak.
      io.stdout.close();
      io.stderr.close();
      throw err;
    }
    const durationMs = Date.now() - started;
    const logs = { stdout: io.stdout.close(), stderr: io.stderr.close() };
    const outcome: RunOutcome = {
      status: req.force ? 'forced' : 'miss',
      ref,
      exitCode: run.exitCode,
      entryDir: null,
      meta: null,
      stdout: null,
      stderr: null,
      result: run.value ?? null,
      liveValue: run.liveValue,
      durationMs,
      notStored: null,
      storeError: null,
      storedBytes: 0,
    };
    const logFailure = io.stdout.failure ?? io.stderr.failure;
    if (logFailure) {
      outcome.notStored = 'its logs could not be written to the store';
      outcome.storeError = storeErrorFrom(
        logFailure,
        `writing the logs of ${req.task.name} ${req.key.slice(0, 12)} into the store`,
      );
      return outcome;
    }
    outcome.notStored = whyNotStored(req, run, before, staging, interrupt);
    if (outcome.notStored) {
      if ((run.exitCode !== 0 || run.signal) && diskFull(staging.dir)) {
        // The task most likely failed writing its outputs into a full disk: say so, not just its exit code.
        const full = Object.assign(new Error('no space left'), { code: 'ENOSPC', path: req.layout.root });
        outcome.storeError = storeErrorFrom(full, `${req.task.name} wrote its outputs into the data folder`);
      } else if (!interrupt.signal) {
        await req.onOutputs?.(staging.outDir, null);
      }
      return outcome;
    }
    try {
      const sealed = staging.seal();
      let result: EntryMeta['result'] = null;
      if (run.chunked) {
        result = writeChunked(path.join(staging.dir, CHUNKED_FILE), run.chunked, CHUNKED_FILE);
      } else if (run.value) {
        const encoded = encodeResult(run.value, { compress: run.compress });
        staging.writeFile(encoded.record.file, encoded.bytes);
        result = encoded.record;
      }
      const meta: EntryMeta = {
        format: 1,
        cachex: CACHEX_VERSION,
        task: req.task.name,
        module: req.task.module,
        key: req.key,
        kind: req.task.kind,
        taskVersion: req.task.version,
        params: paramRecords(req.task, req.params),
        keyInputs: req.inputs,
        command: run.argv?.map((a) => a.split(staging.outDir).join('{out}')),
        created,
        durationMs,
        exitCode: run.exitCode,
        outputs: sealed.outputs,
        result,
        logs,
      };
      const committed = await staging.commit(meta, sealed.stamps, req.force);
      outcome.entryDir = req.layout.entryDir(ref);
      outcome.meta = meta;
      outcome.storedBytes =
        sealed.outputs.reduce((n, o) => n + o.size, 0) + logs.stdout.size + logs.stderr.size + (result?.size ?? 0);
      if (committed === 'kept-existing') outcome.notStored = 'another run stored this key first; its entry was kept';
      await req.onOutputs?.(path.join(outcome.entryDir, ENTRY_FILES.out), meta);
    } catch (err) {
      if (err instanceof OutputRefused) {
        outcome.notStored = err.message;
        await req.onOutputs?.(staging.outDir, null);
      } else if (err instanceof CachexError) {
        outcome.storeError = err;
      } else {
        outcome.storeError = storeErrorFrom(err, `storing the entry ${req.task.name} ${req.key.slice(0, 12)}`);
      }
    }
    return outcome;
  } finally {
    staging.discard();
  }
}

function whyNotStored(
  req: RunRequest,
  run: RunResult & { unserialisable?: string },
  before: string,
  staging: Staging,
  interrupt: Interrupt,
): string | null {
  if (interrupt.signal) return `the run was interrupted by ${interrupt.signal}`;
  if (run.signal) return `the run was killed by ${run.signal}`;
  if (run.exitCode !== 0 && !req.task.cacheFailures)
    return `the run exited with code ${run.exitCode} (failures are not cached unless the task sets cacheFailures)`;
  if (run.unserialisable) return `the result cannot be serialised (${run.unserialisable})`;
  if (inputStamps(req.task.params, req.params) !== before) return 'an input file changed while the task ran';
  for (const declared of req.task.outputs) {
    if (!existsSync(path.join(staging.outDir, declared))) return `the declared output ${declared} was not produced`;
  }
  return null;
}
