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

const EMPTY = Buffer.alloc(0);
/** sha256 of no bytes (a constant: hashing at load time costs every start). */
const EMPTY_DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function checkLog(dir: string, name: 'stdout' | 'stderr', meta: EntryMeta): Buffer | string {
  const file = name === 'stdout' ? ENTRY_FILES.stdout : ENTRY_FILES.stderr;
  const record = meta.logs?.[name];
  if (record?.size === 0 && record.digest === EMPTY_DIGEST) {
    // An empty log (most library calls) is checked with a stat: its digest can only be the empty one.
    const st = statSync(path.join(dir, file), { throwIfNoEntry: false });
    if (!st) return `${file} is missing`;
    return st.size === 0 ? EMPTY : `${file} size ${st.size} differs from the recorded 0`;
  }
  const bytes = readOrNull(path.join(dir, file));
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
  const read = await readMeta(dir, metaText, ref);
  if ('problem' in read) return corrupt(ENTRY_FILES.meta, read.problem);
  const { meta } = read;
  if (expected && comparable(expected) !== read.keyInputs) {
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
    // Without output files there is no stamp to trust: the outputs check below is a listing.
    if (!options.rehashOutputs && meta.outputs?.some((o) => o.type === 'file'))
      stamps = JSON.parse(readFileSync(stampsFile, 'utf8'));
  } catch {
    /* re-verify every output */
  }
  const checked = checkOutputs(path.join(dir, ENTRY_FILES.out), meta.outputs ?? [], stamps);
  if ('problem' in checked) return corrupt(checked.problem.file, checked.problem.reason);
  if (checked.changed) writeStamps(stampsFile, checked.stamps);
  return { status: 'hit', entry: { dir, meta, stdout, stderr, result, value } };
}

/** What the key-collision check compares: the inputs with the executable's path left out, as canonical JSON. */
function comparableOf(inputs: KeyInputs): string {
  return canonicalJson({ ...inputs, executable: inputs.executable?.digest });
}

/** A library call whose key was memoised hands over the same inputs object each time: encoded once. */
const comparableMemo = new WeakMap<KeyInputs, string>();
function comparable(inputs: KeyInputs): string {
  let text = comparableMemo.get(inputs);
  if (text === undefined) comparableMemo.set(inputs, (text = comparableOf(inputs)));
  return text;
}

interface CheckedMeta {
  meta: EntryMeta;
  /** comparableOf(meta.keyInputs) */
  keyInputs: string;
}

/**
 * meta.yaml's checks and parse, remembered by its exact bytes: a process that
 * loads one entry again and again (library disk hits) reads and compares the
 * file each time, and parses and checks it only when its bytes differ from
 * the last ones it checked. Same bytes, same outcome: nothing is trusted that
 * was not read. The meta is shared between loads, so nobody may change it.
 */
const checkedMetas = new Map<string, { text: Buffer; checked: CheckedMeta }>();
const CHECKED_METAS = 256;

async function readMeta(dir: string, text: Buffer, ref: EntryRef): Promise<CheckedMeta | { problem: string }> {
  const known = checkedMetas.get(dir);
  if (known?.text.equals(text)) return known.checked;
  const read = await checkMeta(text.toString('utf8'), ref);
  if ('problem' in read) return read;
  if (keyOfInputs(read.meta.keyInputs) !== ref.key)
    return { problem: 'meta.yaml key inputs do not hash to the entry key' };
  const checked = { meta: read.meta, keyInputs: comparableOf(read.meta.keyInputs) };
  if (checkedMetas.size >= CHECKED_METAS) checkedMetas.delete(checkedMetas.keys().next().value as string);
  checkedMetas.set(dir, { text, checked });
  return checked;
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
