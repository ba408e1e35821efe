import { canonicalJson } from '../key/encode.js';
import type { KeyInputs } from '../key/inputs.js';
import { displayName } from '../tasks/name-bytes.js';
import type { EntryMeta } from '../store/meta.js';

const short = (text: string) => text.slice(0, 8);

/** A key input as a short token for an ls row: digests by their first 8 hex digits. */
function token(field: string, value: unknown): string {
  if (value === undefined || value === null) return `${field}=unset`;
  if (typeof value === 'object' && value && 'digest' in value && typeof value.digest === 'string')
    return `${field}@${short(value.digest)}`;
  if (typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)) return `${field}@${short(value)}`;
  if (field === 'folder' && typeof value === 'string') return `folder=${displayName(value)}`;
  const text = canonicalJson(value);
  return `${field}=${text.length > 24 ? `${text.slice(0, 21)}…` : text}`;
}

/** The key inputs of an entry, flattened to the names an ls reader knows (tool, code, $VAR, a param). */
function flatInputs(inputs: KeyInputs): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  const {
    params,
    env,
    executable,
    workingFolder,
    format: _format,
    module: _module,
    task: _task,
    kind: _kind,
    ...rest
  } = inputs;
  if (executable) flat.set('tool', executable);
  // Absent from entries stored before the working folder entered keys: that shows as folder=unset.
  if (inputs.kind === 'command' || inputs.kind === 'exec') flat.set('folder', workingFolder);
  for (const [name, value] of Object.entries(rest)) flat.set(name, value);
  for (const [name, value] of Object.entries(env ?? {})) flat.set(`$${name}`, value);
  for (const [name, value] of Object.entries(params ?? {})) flat.set(name, value);
  return flat;
}

/**
 * For entries whose rows would read the same (same task, same params text),
 * the key inputs that tell them apart — the converter binary, the task's
 * code, an env variable, a file's content — as short tokens per entry.
 * Entries whose rows already differ get none.
 */
export function distinguishers<E extends { meta: EntryMeta | null; brief?: unknown }>(
  entries: readonly E[],
  rowText: (entry: E) => string,
): Map<E, string[]> {
  const groups = new Map<string, E[]>();
  // Grouped by the row's text first (a listed entry's brief says it has a meta): only the entries of a group of
  // several have their whole meta read.
  for (const entry of entries) {
    if (!(entry.brief ?? entry.meta)) continue;
    const text = rowText(entry);
    const group = groups.get(text);
    if (group) group.push(entry);
    else groups.set(text, [entry]);
  }
  const found = new Map<E, string[]>();
  for (const all of groups.values()) {
    if (all.length < 2) continue;
    const group = all.filter((e) => e.meta?.keyInputs);
    if (group.length < 2) continue;
    const flats = group.map((e) => flatInputs(e.meta!.keyInputs));
    const fields = new Set(flats.flatMap((f) => [...f.keys()]));
    const differing = [...fields].filter(
      (field) => new Set(flats.map((f) => canonicalJson(f.get(field) ?? null))).size > 1,
    );
    for (const [i, entry] of group.entries())
      found.set(
        entry,
        differing.map((field) => token(field, flats[i].get(field))),
      );
  }
  return found;
}
