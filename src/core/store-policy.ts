import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../runner/types.js';
import type { NotStoredReason } from '../store/entry-store.js';
import type { TaskDef } from '../tasks/task.js';

/** What the policy looks at besides the run's own result. */
export interface RunCircumstances {
  /** The signal that interrupted cachex during the run, if one did. */
  interrupted: string | null;
  /** An input file's stat stamp differs from before the run. */
  inputsChanged: boolean;
  outDir: string;
}

/** Why a finished run must not become an entry, or null when it should be stored. */
export function whyNotStored(task: TaskDef, run: RunResult, seen: RunCircumstances): NotStoredReason | null {
  if (seen.interrupted) return { kind: 'interrupted', signal: seen.interrupted };
  if (run.signal) return { kind: 'killed', signal: run.signal };
  if (run.exitCode !== 0 && !task.cacheFailures) return { kind: 'failed', exitCode: run.exitCode };
  if (run.unserialisable) return { kind: 'unserialisable', detail: run.unserialisable };
  if (seen.inputsChanged) return { kind: 'input-changed' };
  for (const declared of task.outputs) {
    if (!existsSync(path.join(seen.outDir, declared))) return { kind: 'output-missing', path: declared };
  }
  return null;
}
