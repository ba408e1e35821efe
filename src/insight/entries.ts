import type { KeyInputs } from '../key/inputs.js';
import type { EntryStore } from '../store/entry-store.js';

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
 * it goes through the EntryStore's `list()`. Entries whose meta.yaml cannot
 * be read are left out: there is nothing to compare them with.
 */
export async function storedEntriesOf(
  store: EntryStore,
  task?: { module: string; name: string },
  options: { withoutSizes?: boolean; newest?: number; exceptKey?: string } = {},
): Promise<StoredEntry[]> {
  const entries = await store.list({ ...(task ? { module: task.module, task: task.name } : {}), ...options });
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
