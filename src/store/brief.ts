import type { EntryMeta } from './meta.js';

/**
 * What a listing row shows of an entry: its params, which of them are files or folders, when it was made and how its
 * run went. The listing summary keeps it beside the whole meta, so `ls` of 10 000 entries parses about 150 bytes per
 * entry instead of the whole meta (about 1 KB: key inputs, the digests of result and logs), a fifth of its time.
 */
export interface EntryBrief {
  params: EntryMeta['params'];
  /** Params that enter the key as a file's digest or a path (files and folders): a row shows their base name. */
  pathParams: string[];
  created: string | null;
  exitCode: number | null;
  durationMs: number | null;
  /** How many outputs (files, folders, links) it records. */
  outputs: number;
}

/** A file or dir param enters the key as {digest} / {path}: that is how a stored entry tells them apart without the config. */
export function isPathInput(input: unknown): boolean {
  const first: unknown = Array.isArray(input) ? input[0] : input;
  return Boolean(first && typeof first === 'object' && ('digest' in first || 'path' in first));
}

export function briefOf(meta: EntryMeta): EntryBrief {
  const inputs = meta.keyInputs?.params ?? {};
  return {
    params: meta.params ?? {},
    pathParams: Object.keys(inputs).filter((name) => isPathInput(inputs[name])),
    created: meta.created ?? null,
    exitCode: meta.exitCode ?? null,
    durationMs: meta.durationMs ?? null,
    outputs: meta.outputs?.length ?? 0,
  };
}
