import type { EntryStore } from '../store/entry-store.js';
import type { TaskDef } from '../tasks/task.js';

/**
 * Removes every entry of one cached function. Each key's lock is taken first
 * (waiting for a run that holds it), so an entry another process is writing
 * or reading under the lock is not pulled from under it; readers never see
 * half an entry.
 */
export async function clearEntries(store: EntryStore, task: TaskDef): Promise<number> {
  let removed = 0;
  for (const { ref } of await store.list({ module: task.module, task: task.name, withoutSizes: true })) {
    if ((await store.remove(ref, { why: 'pruned', ifBusy: 'wait' })) === 'removed') removed++;
  }
  return removed;
}
