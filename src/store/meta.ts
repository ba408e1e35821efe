import { createRequire } from 'node:module';
import type { KeyInputs } from '../key/inputs.js';
import type { EntryRef } from './layout.js';
import { metaIntact } from './meta-digest.js';
import { fromYaml, toYaml } from './meta-yaml.js';

export const META_FORMAT = 1;

export interface OutputRecord {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  /** The mode the task gave it (the stored file itself is read-only); restored copies get it back. */
  mode: number;
  /** This file is a hard link of an earlier output (the task made them one file): stored once, restored as a link. */
  linkOf?: string;
  /** SHA-256 of the bytes (files) — absent for dirs and symlinks. */
  digest?: string;
  /** Link text (symlinks). */
  target?: string;
  mtimeMs?: number;
}

export interface BlobRecord {
  size: number;
  digest: string;
}

export interface ResultRecord extends BlobRecord {
  file: string;
  encoding: 'v8' | 'v8+gzip' | 'v8-chunked';
  /** Size of the serialised value before compression. */
  rawSize: number;
}

export interface ParamRecord {
  value: unknown;
  ignored?: boolean;
}

/** Everything meta.yaml records about one entry. */
export interface EntryMeta {
  format: number;
  cachex: string;
  task: string;
  module: string;
  key: string;
  kind: KeyInputs['kind'];
  taskVersion: string | number | null;
  params: Record<string, ParamRecord>;
  keyInputs: KeyInputs;
  /** The argv as run, with the output folder written as {out} (command tasks). */
  command?: string[];
  created: string;
  durationMs: number;
  exitCode: number;
  outputs: OutputRecord[];
  result: ResultRecord | null;
  logs: { stdout: BlobRecord; stderr: BlobRecord };
}

/**
 * Reads meta.yaml: the fast subset reader first, the full YAML library (loaded only then,
 * synchronously so the sweep can use the same reader) for anything else.
 */
export function parseMeta(text: string): EntryMeta {
  const fast = fromYaml(text);
  if (fast !== undefined) return fast as EntryMeta;
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(text) as EntryMeta;
}

/** The output manifest as one line per output (entries written before it, one line per field, read the same). */
const FLOW_LISTS: ReadonlySet<string> = new Set(['outputs']);

export async function formatMeta(meta: EntryMeta): Promise<string> {
  return toYaml(meta as unknown as Record<string, unknown>, FLOW_LISTS);
}

/** What meta.yaml records after the manifest (EntryMeta's order). */
const AFTER_OUTPUTS: ReadonlySet<string> = new Set(['result', 'logs']);

/**
 * meta.yaml's text before and after the output manifest, for a writer that
 * streams the manifest between them: head + manifest + tail is formatMeta's text.
 */
export function formatMetaAround(meta: Omit<EntryMeta, 'outputs'>): { head: string; tail: string } {
  const head: Record<string, unknown> = {};
  const tail: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (name !== 'outputs') (AFTER_OUTPUTS.has(name) ? tail : head)[name] = value;
  }
  // toYaml({}) is one empty line, which formatMeta would not write.
  const text = (part: Record<string, unknown>) =>
    Object.values(part).some((v) => v !== undefined) ? toYaml(part) : '';
  return { head: text(head), tail: text(tail) };
}

/** The manifest as meta.yaml writes it, one line per output (formatMeta's FLOW_LISTS form). */
export function manifestLine(record: OutputRecord): string {
  return `  - ${JSON.stringify(record)}\n`;
}

/** The line naming the manifest: its records follow it, or it says there are none. */
export function manifestHeading(count: number): string {
  return count > 0 ? 'outputs:\n' : 'outputs: []\n';
}

/**
 * The one reader of meta.yaml text: its self-digest first (a flipped bit in
 * any value is caught), then the parse and the fields every reader relies on.
 * Without `ref` (the sweep, which learns the entry from the folder) the key is
 * taken from the checked text.
 */
export function checkMeta(text: string, ref?: EntryRef): { meta: EntryMeta } | { problem: string } {
  if (!metaIntact(text)) return { problem: 'meta.yaml digest mismatch (truncated or altered)' };
  let meta: EntryMeta;
  try {
    meta = parseMeta(text);
  } catch {
    return { problem: 'meta.yaml cannot be parsed' };
  }
  if (
    !meta ||
    typeof meta !== 'object' ||
    meta.format !== META_FORMAT ||
    (ref !== undefined && meta.key !== ref.key) ||
    !meta.keyInputs
  ) {
    return { problem: 'meta.yaml is incomplete or from another format' };
  }
  return { meta };
}
