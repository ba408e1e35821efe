import type { KeyInputs } from '../key/inputs.js';
import { fromYaml, toYaml } from './meta-yaml.js';

export const META_FORMAT = 1;

export interface OutputRecord {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mode: number;
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

/** Reads meta.yaml: the fast subset reader first, the full YAML library for anything else. */
export async function parseMeta(text: string): Promise<EntryMeta> {
  const fast = fromYaml(text);
  if (fast !== undefined) return fast as EntryMeta;
  const { parse } = await import('yaml');
  return parse(text) as EntryMeta;
}

export async function formatMeta(meta: EntryMeta): Promise<string> {
  return toYaml(meta as unknown as Record<string, unknown>);
}

export function outputBytes(meta: EntryMeta): number {
  return meta.outputs.reduce((sum, o) => sum + (o.type === 'file' ? o.size : 0), 0);
}
