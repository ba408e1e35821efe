import { acquireKeyLock } from '../lock/key-lock.js';
import { entryRefs } from '../store/catalog.js';
import { Layout } from '../store/layout.js';
import { setAside } from '../store/load.js';
import type { TaskDef } from '../tasks/task.js';

/**
 * Removes every entry of one cached function. Each key's lock is taken first,
 * so an entry another process is writing or reading under the lock is not
 * pulled from under it; the folder is renamed out of cache/ before deletion,
 * so readers never see half an entry.
 */
export async function clearEntries(dataFolder: string, task: TaskDef): Promise<number> {
  const layout = new Layout(dataFolder);
  let removed = 0;
  for (const ref of entryRefs(layout, { module: task.module, task: task.name })) {
    const lock = await acquireKeyLock(layout.lockTarget(ref));
    try {
      setAside(layout, ref);
      removed++;
    } finally {
      await lock.release();
    }
  }
  return removed;
}
