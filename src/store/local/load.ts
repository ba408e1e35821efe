import { appendFileSync, lstatSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../key/digest.js';
import { canonicalJson } from '../../key/encode.js';
import { keyOfInputs, type KeyInputs } from '../../key/inputs.js';
import { ENTRY_FILES, type EntryRef, type Layout } from '../layout.js';
import { checkMeta, type EntryMeta } from '../meta.js';
import { checkOutputs } from './outputs.js';
import { decodeResult } from './result.js';
import { readChunked } from './chunked.js';
import { statStamp } from '../../key/stamp.js';

export interface LoadedEntry {
  dir: string;
  meta: EntryMeta;
  stdout: Buffer;
  stderr: Buffer;
  /** The serialised (decompressed) result, when the task returned one. */
  result: Buffer | null;
  /** The result itself, for large results read as a stream (store/chunked.ts) instead of as bytes. */
  value?: unknown;
}

export type LoadOutcome =
  | { status: 'hit'; entry: LoadedEntry }
  | { status: 'miss' }
  | { status: 'corrupt'; file: string; reason: string };

function readOrNull(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

function checkLog(dir: string, name: 'stdout' | 'stderr', meta: EntryMeta): Buffer | string {
  const file = name === 'stdout' ? ENTRY_FILES.stdout : ENTRY_FILES.stderr;
  const bytes = readOrNull(path.join(dir, file));
  const record = meta.logs?.[name];
  if (!bytes || !record) return `${file} is missing`;
  if (bytes.length !== record.size) return `${file} size ${bytes.length} differs from the recorded ${record.size}`;
  if (sha256(bytes) !== record.digest) return `${file} digest mismatch`;
  return bytes;
}

/**
 * Reads an entry and checks everything it would return: meta.yaml, the key
 * inputs it was stored under, the result, both logs and the outputs. Any
 * problem makes it corrupt; it is never returned half-checked.
 */
export interface LoadOptions {
  /** Re-hash every output even when its stat stamp was verified before (`cachex verify`). */
  rehashOutputs?: boolean;
}

export async function loadEntry(
  layout: Layout,
  ref: EntryRef,
  expected?: KeyInputs,
  options: LoadOptions = {},
): Promise<LoadOutcome> {
  const dir = layout.entryDir(ref);
  const before = folderId(dir);
  const found = await loadOnce(dir, ref, expected, options);
  if (found.status !== 'corrupt' || before === null) return found;
  // Removed (prune) or replaced (--force) while we read it: that is a miss, or the new entry, not corruption.
  const after = folderId(dir);
  if (after === null) return { status: 'miss' };
  return after === before ? found : loadOnce(dir, ref, expected, options);
}

/** Identity of an entry folder (device and inode); null when it is not there. */
function folderId(dir: string): string | null {
  try {
    return statStamp(statSync(dir, { bigint: true }), 'folder');
  } catch {
    return null;
  }
}

async function loadOnce(
  dir: string,
  ref: EntryRef,
  expected: KeyInputs | undefined,
  options: LoadOptions,
): Promise<LoadOutcome> {
  const metaText = readOrNull(path.join(dir, ENTRY_FILES.meta));
  if (metaText === null) {
    try {
      readFileSync(path.join(dir)); // EISDIR when the folder exists without meta.yaml
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'miss' };
    }
    return { status: 'corrupt', file: ENTRY_FILES.meta, reason: 'meta.yaml is missing' };
  }
  const corrupt = (file: string, reason: string): LoadOutcome => ({ status: 'corrupt', file, reason });
  const read = await checkMeta(metaText.toString('utf8'), ref);
  if ('problem' in read) return corrupt(ENTRY_FILES.meta, read.problem);
  const { meta } = read;
  if (keyOfInputs(meta.keyInputs) !== ref.key)
    return corrupt(ENTRY_FILES.meta, 'meta.yaml key inputs do not hash to the entry key');
  if (
    expected &&
    canonicalJson({ ...expected, executable: expected.executable?.digest }) !==
      canonicalJson({ ...meta.keyInputs, executable: meta.keyInputs.executable?.digest })
  ) {
    return corrupt(ENTRY_FILES.meta, 'stored key inputs differ from this run (key collision)');
  }
  const stdout = checkLog(dir, 'stdout', meta);
  if (typeof stdout === 'string') return corrupt(ENTRY_FILES.stdout, stdout);
  const stderr = checkLog(dir, 'stderr', meta);
  if (typeof stderr === 'string') return corrupt(ENTRY_FILES.stderr, stderr);
  let result: Buffer | null = null;
  let value: unknown;
  if (meta.result?.encoding === 'v8-chunked') {
    const read = readChunked(path.join(dir, path.basename(meta.result.file)), meta.result);
    if (typeof read === 'string') return corrupt(meta.result.file, read);
    value = read.value;
  } else if (meta.result) {
    const bytes = readOrNull(path.join(dir, path.basename(meta.result.file)));
    if (!bytes) return corrupt(meta.result.file, 'result file is missing');
    const decoded = decodeResult(bytes, meta.result);
    if (typeof decoded === 'string') return corrupt(meta.result.file, decoded);
    result = decoded;
  }
  const stampsFile = path.join(dir, ENTRY_FILES.verified);
  let stamps: Record<string, string> = {};
  try {
    if (!options.rehashOutputs) stamps = JSON.parse(readFileSync(stampsFile, 'utf8'));
  } catch {
    /* re-verify every output */
  }
  const checked = checkOutputs(path.join(dir, ENTRY_FILES.out), meta.outputs ?? [], stamps);
  if ('problem' in checked) return corrupt(checked.problem.file, checked.problem.reason);
  if (checked.changed) writeStamps(stampsFile, checked.stamps);
  return { status: 'hit', entry: { dir, meta, stdout, stderr, result, value } };
}

function writeStamps(file: string, stamps: Record<string, string>): void {
  try {
    const temp = `${file}.${process.pid}`;
    writeFileSync(temp, JSON.stringify(stamps));
    renameSync(temp, file);
  } catch {
    /* a read-only store just re-hashes next time */
  }
}

/** Counts a hit without rewriting meta.yaml: one appended line per use. */
export function recordHit(dir: string): void {
  try {
    appendFileSync(path.join(dir, ENTRY_FILES.usage), `${new Date().toISOString()}\n`);
  } catch {
    /* a read-only store still serves hits */
  }
}

/**
 * The cheap check prune chooses with: meta.yaml was read intact by the
 * caller; here every file it lists must be there with its recorded size and
 * type (stats only, no hashing — re-hashing is `cachex verify`'s job).
 */
export function checkSizes(dir: string, meta: EntryMeta): { file: string; reason: string } | null {
  const sized = (rel: string, size: number): string | null => {
    try {
      const st = lstatSync(path.join(dir, rel));
      if (!st.isFile()) return 'is not a file';
      return st.size === size ? null : `size ${st.size} differs from the recorded ${size}`;
    } catch {
      return 'is missing';
    }
  };
  const logs = meta.logs ?? {};
  for (const [name, file] of [
    ['stdout', ENTRY_FILES.stdout],
    ['stderr', ENTRY_FILES.stderr],
  ] as const) {
    const record = logs[name];
    const problem = record ? sized(file, record.size) : 'is not recorded';
    if (problem) return { file, reason: `${file} ${problem}` };
  }
  if (meta.result) {
    const file = path.basename(meta.result.file);
    const problem = sized(file, meta.result.size);
    if (problem) return { file: meta.result.file, reason: `result file ${problem}` };
  }
  for (const o of meta.outputs ?? []) {
    const rel = path.join(ENTRY_FILES.out, o.path);
    if (o.type === 'file') {
      const problem = sized(rel, o.size);
      if (problem) return { file: `out/${o.path}`, reason: `output ${problem}` };
      continue;
    }
    try {
      const st = lstatSync(path.join(dir, rel));
      if ((o.type === 'dir' && !st.isDirectory()) || (o.type === 'symlink' && !st.isSymbolicLink()))
        return { file: `out/${o.path}`, reason: `output is not a ${o.type}` };
    } catch {
      return { file: `out/${o.path}`, reason: 'output is missing' };
    }
  }
  return null;
}
