import type { KeyInputs } from '../key/inputs.js';
import type { Layout } from '../store/layout.js';

/** A stored entry as `why` and the report compare it: its key inputs and what it cost. */
export interface StoredEntry {
  task: string;
  module: string;
  key: string;
  created: string | null;
  inputs: KeyInputs;
  /** Param values as stored (absolute paths for file params). */
  params: Record<string, unknown>;
  durationMs: number | null;
  diskBytes: number;
}

/**
 * Every readable entry of one task (or of all). The only place insight/ reads the store;
 * it becomes a call to the EntryStore's `list()`. Entries whose meta.yaml cannot
 * be read are left out: there is nothing to compare them with.
 */
export async function storedEntriesOf(layout: Layout, task?: { module: string; name: string }): Promise<StoredEntry[]> {
  const { listEntries } = await import('../store/catalog.js');
  const entries = await listEntries(layout, task ? { module: task.module, task: task.name } : {});
  const stored: StoredEntry[] = [];
  for (const entry of entries) {
    const meta = entry.meta;
    if (!meta?.keyInputs) continue;
    const params: Record<string, unknown> = {};
    for (const [name, record] of Object.entries(meta.params ?? {})) params[name] = record?.value;
    stored.push({
      task: entry.ref.task,
      module: entry.ref.module,
      key: entry.ref.key,
      created: meta.created ?? null,
      inputs: meta.keyInputs,
      params,
      durationMs: meta.durationMs ?? null,
      diskBytes: entry.diskBytes,
    });
  }
  return stored;
}
