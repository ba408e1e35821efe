import type { PreparedRun } from '../core/prepare.js';
import { storedEntriesOf } from '../insight/entries.js';
import { explainMiss, whyText } from '../insight/why.js';
import { realParams } from '../tasks/real-names.js';

/** The `cachex why` text for this run (for `run --explain` and `--dry-run`); reads the store, writes nothing. */
export async function explainText(prepared: PreparedRun, cwd: string, force = false): Promise<string> {
  const entries = await storedEntriesOf(prepared.store, prepared.task, { withoutSizes: true });
  const verdict = explainMiss(
    {
      task: prepared.task.name,
      key: prepared.key,
      inputs: prepared.inputs,
      params: realParams(prepared.task.params, prepared.params),
      schema: prepared.task.params,
      cwd,
    },
    entries,
    { force },
  );
  return whyText(verdict);
}
