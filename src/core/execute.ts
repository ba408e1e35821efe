import { statfsSync } from 'node:fs';
import { storeErrorFrom } from '../errors.js';
import type { Interrupt } from '../runner/interrupt.js';
import { LogSink } from '../runner/log-sink.js';
import type { RunIo, RunResult } from '../runner/types.js';
import type { EntryHandle, KeyLockHandle, StagedRun, Storage } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import type { ParamRecord } from '../store/meta.js';
import type { Params } from '../tasks/params.js';
import { realParams } from '../tasks/real-names.js';
import type { TaskDef } from '../tasks/task.js';
import { inputStamps } from './input-stamps.js';
import type { RunOutcome, RunRequest } from './run-task.js';
import type { Runner } from './runners.js';
import { whyNotStored } from './store-policy.js';

type Executed = Omit<RunOutcome, 'placement' | 'placementError'> & { entry: EntryHandle | null; storage: Storage };

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

function openLogs(staged: StagedRun, req: RunRequest): { stdout: LogSink; stderr: LogSink } {
  let stdout: LogSink | null = null;
  try {
    stdout = new LogSink(staged.stdoutPath, req.live.stdout);
    return { stdout, stderr: new LogSink(staged.stderrPath, req.live.stderr) };
  } catch (err) {
    stdout?.close();
    throw storeErrorFrom(err, 'creating the log files of this run');
  }
}

export function paramRecords(task: TaskDef, params: Params): Record<string, ParamRecord> {
  const records: Record<string, ParamRecord> = {};
  // A non-UTF-8 file name is recorded by its real name (escaped), which `rebuild` can open again.
  for (const [name, value] of Object.entries(realParams(task.params, params))) {
    records[name] = task.ignore.includes(name) ? { value, ignored: true } : { value };
  }
  return records;
}

/** Runs the task into the staging area, then asks the store to keep it when the run qualifies. */
export async function executeStaged(
  req: RunRequest,
  ref: EntryRef,
  staged: StagedRun,
  runner: Runner,
  interrupt: Interrupt,
  lock: KeyLockHandle,
  /** The stored entry is past its max age: replace it. */
  expired = false,
): Promise<Executed> {
  const io: RunIo = { outDir: staged.outDir, ...openLogs(staged, req), interrupt };
  const before = inputStamps(req.task.params, req.params);
  req.events?.onStart?.();
  const started = Date.now();
  let run: RunResult;
  try {
    run = await runner(io, { outDir: staged.outDir, task: req.task.name, key: req.key });
  } catch (err) {
    // A library function that throws: close the logs so their descriptors do not leak.
    io.stdout.close();
    io.stderr.close();
    throw err;
  } finally {
    interrupt.finishing();
  }
  const durationMs = Date.now() - started;
  const logs = { stdout: io.stdout.close(), stderr: io.stderr.close() };
  const done = (storage: Storage, entry: EntryHandle | null = null, result: Buffer | null = null): Executed => ({
    status: req.force ? 'forced' : 'miss',
    source: null,
    ref,
    exitCode: run.exitCode,
    durationMs,
    storage,
    entry,
    stdout: null,
    stderr: null,
    result: result ?? (run.result?.kind === 'serialised' ? run.result.bytes : null),
    liveValue: run.liveValue,
  });

  const logFailure = io.stdout.failure ?? io.stderr.failure;
  if (logFailure) {
    const what = `writing the logs of ${req.task.name} ${req.key.slice(0, 12)} into the store`;
    return done({ kind: 'store-failed', error: storeErrorFrom(logFailure, what) });
  }
  const reason = whyNotStored(req.task, run, {
    interrupted: interrupt.signal,
    inputsChanged: inputStamps(req.task.params, req.params) !== before,
    outDir: staged.outDir,
  });
  if (reason) {
    if ((run.exitCode !== 0 || run.signal) && diskFull(staged.outDir)) {
      // The task most likely failed writing its outputs into a full disk: say so, not just its exit code.
      const full = Object.assign(new Error('no space left'), { code: 'ENOSPC', path: req.store.root });
      return done({
        kind: 'store-failed',
        error: storeErrorFrom(full, `${req.task.name} wrote its outputs into the data folder`),
      });
    }
    return done({ kind: 'not-stored', reason });
  }
  const put = await req.store.put(staged, {
    keyInputs: req.inputs,
    kind: req.task.kind,
    taskVersion: req.task.version,
    params: paramRecords(req.task, req.params),
    command: run.argv?.map((a) => a.split(staged.outDir).join('{out}')),
    created: new Date(started).toISOString(),
    durationMs,
    exitCode: run.exitCode,
    logs,
    result: run.result ?? null,
    // With a compromised lock another run may own the key now: first writer wins, never replace its entry.
    replace: (req.force || expired) && !lock.compromised,
  });
  return done(put.storage, put.entry, put.resultBytes);
}
