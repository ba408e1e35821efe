import {
  appendFileSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { heldFd, release } from '../held-appends.js';
import { isoTime } from '../iso-time.js';
import path from 'node:path';
import { sha256 } from '../../key/digest.js';
import { canonicalJson } from '../../key/encode.js';
import { keyOfInputs, type KeyInputs } from '../../key/inputs.js';
import { ENTRY_FILES, type EntryRef, type Layout } from '../layout.js';
import { type BlobRecord, checkMeta, type EntryMeta } from '../meta.js';
import { checkOutputs } from './outputs.js';
import { VerifiedStamps } from './verified-stamps.js';
import { decodeResult } from './result.js';
import { readChunked } from './chunked.js';
import { plainStamp } from '../../key/stamp.js';
import { readWhole } from '../../read-whole.js';

export interface LoadedEntry {
  dir: string;
  meta: EntryMeta;
  stdout: Buffer;
  stderr: Buffer;
  /** The serialised (decompressed) result, when the task returned one. */
  result: Buffer | null;
  /** The result itself, for large results read as a stream (store/chunked.ts) instead of as bytes. */
  value?: unknown;
  /** The identity (stamp.ts plainStamp, 'file') of the meta.yaml this entry was read from, taken from the open file read. */
  identity: string;
}

export type LoadOutcome =
  | { status: 'hit'; entry: LoadedEntry }
  | { status: 'miss' }
  | { status: 'corrupt'; file: string; reason: string };

/** readWhole's open, fstat and read, which a hit has already run (for meta.yaml): readFileSync's first read into a Buffer costs 0.3 ms. */
function readOrNull(file: string): Buffer | null {
  return readWhole(file)?.bytes ?? null;
}

const EMPTY = Buffer.alloc(0);
/** sha256 of no bytes (a constant: hashing at load time costs every start). */
const EMPTY_DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function checkLog(file: string, name: string, record: BlobRecord | undefined): Buffer | string {
  if (record?.size === 0 && record.digest === EMPTY_DIGEST) {
    // An empty log (most library calls) is checked with a stat: its digest can only be the empty one.
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return `${name} is missing`;
    return st.size === 0 ? EMPTY : `${name} size ${st.size} differs from the recorded 0`;
  }
  const bytes = readOrNull(file);
  if (!bytes || !record) return `${name} is missing`;
  if (bytes.length !== record.size) return `${name} size ${bytes.length} differs from the recorded ${record.size}`;
  if (sha256(bytes) !== record.digest) return `${name} digest mismatch`;
  return bytes;
}

/**
 * Reads an entry and checks everything it would return: meta.yaml, the key
 * inputs it was stored under, the result, both logs and the outputs. Any
 * problem makes it corrupt; it is never returned half-checked.
 */
export interface LoadOptions {
  /** Re-hash every output even when its stat stamp was verified before, and list every folder (`cachex verify`). */
  rehashOutputs?: boolean;
}

export async function loadEntry(
  layout: Layout,
  ref: EntryRef,
  expected?: KeyInputs,
  options: LoadOptions = {},
): Promise<LoadOutcome> {
  const dir = layout.entryDir(ref);
  const found = loadOnce(dir, ref, expected, options);
  if (found.status !== 'corrupt') return found;
  // Removed (prune) or replaced (--force) while we read it: that is a miss, or the new entry, not corruption.
  // The meta.yaml read (its identity from the same open file) tells: the same file still there means a damaged entry.
  if (found.metaIdentity !== null && metaIdentity(dir) === found.metaIdentity) return found;
  return loadOnce(dir, ref, expected, options);
}

/** The identity (stamp.ts plainStamp, 'file') of an entry's meta.yaml now; null when it is not there. */
function metaIdentity(dir: string): string | null {
  try {
    const st = statSync(filesOf(dir).meta, { throwIfNoEntry: false });
    return st ? plainStamp(st, 'file') : null;
  } catch {
    return null;
  }
}

/** The paths of one entry's files, joined once per entry folder (a library disk hit loads the same entries again and again). */
interface EntryFiles {
  meta: string;
  stdout: string;
  stderr: string;
  out: string;
  verified: string;
}
const entryFiles = new Map<string, EntryFiles>();
const ENTRY_FILES_KEPT = 1024;

export function filesOf(dir: string): EntryFiles {
  let files = entryFiles.get(dir);
  if (files === undefined) {
    // Forgotten all at once when full: a map, not an LRU, for a cache this cheap to refill.
    if (entryFiles.size >= ENTRY_FILES_KEPT) entryFiles.clear();
    files = {
      meta: path.join(dir, ENTRY_FILES.meta),
      stdout: path.join(dir, ENTRY_FILES.stdout),
      stderr: path.join(dir, ENTRY_FILES.stderr),
      out: path.join(dir, ENTRY_FILES.out),
      verified: path.join(dir, ENTRY_FILES.verified),
    };
    entryFiles.set(dir, files);
  }
  return files;
}

type LoadedOnce = LoadOutcome & { metaIdentity?: string | null };

function loadOnce(dir: string, ref: EntryRef, expected: KeyInputs | undefined, options: LoadOptions): LoadedOnce {
  const files = filesOf(dir);
  const metaRead = readWhole(files.meta);
  if (metaRead === null) {
    try {
      readFileSync(dir); // EISDIR when the folder exists without meta.yaml
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'miss' };
    }
    return { status: 'corrupt', file: ENTRY_FILES.meta, reason: 'meta.yaml is missing', metaIdentity: null };
  }
  const identity = plainStamp(metaRead.st, 'file');
  const corrupt = (file: string, reason: string): LoadedOnce => ({
    status: 'corrupt',
    file,
    reason,
    metaIdentity: identity,
  });
  const read = readMeta(dir, metaRead.bytes, ref);
  if ('problem' in read) return corrupt(ENTRY_FILES.meta, read.problem);
  const { meta } = read;
  if (expected && comparable(expected) !== read.keyInputs) {
    return corrupt(ENTRY_FILES.meta, 'stored key inputs differ from this run (key collision)');
  }
  const stdout = checkLog(files.stdout, ENTRY_FILES.stdout, meta.logs?.stdout);
  if (typeof stdout === 'string') return corrupt(ENTRY_FILES.stdout, stdout);
  const stderr = checkLog(files.stderr, ENTRY_FILES.stderr, meta.logs?.stderr);
  if (typeof stderr === 'string') return corrupt(ENTRY_FILES.stderr, stderr);
  let result: Buffer | null = null;
  let value: unknown;
  if (meta.result?.encoding === 'v8-chunked') {
    const read = readChunked(path.join(dir, path.basename(meta.result.file)), meta.result);
    if (typeof read === 'string') return corrupt(meta.result.file, read);
    value = read.value;
  } else if (meta.result) {
    const bytes = readWhole(path.join(dir, path.basename(meta.result.file)), { size: meta.result.size })?.bytes ?? null;
    if (!bytes) return corrupt(meta.result.file, 'result file is missing');
    const decoded = decodeResult(bytes, meta.result);
    if (typeof decoded === 'string') return corrupt(meta.result.file, decoded);
    result = decoded;
  }
  let stamps = VerifiedStamps.none();
  try {
    // Without output files there is no stamp to trust: the outputs check below is a listing.
    if (!options.rehashOutputs && meta.outputs?.some((o) => o.type === 'file'))
      stamps = new VerifiedStamps(readFileSync(files.verified, 'utf8'));
  } catch {
    /* re-verify every output */
  }
  const checked = checkOutputs(files.out, meta.outputs ?? [], stamps, !options.rehashOutputs);
  if ('problem' in checked) return corrupt(checked.problem.file, checked.problem.reason);
  if (checked.changed) writeStamps(files.verified, checked.changed);
  return { status: 'hit', entry: { dir, meta, stdout, stderr, result, value, identity } };
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

function readMeta(dir: string, text: Buffer, ref: EntryRef): CheckedMeta | { problem: string } {
  const known = checkedMetas.get(dir);
  if (known?.text.equals(text)) return known.checked;
  const read = checkMeta(text.toString('utf8'), ref);
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

/**
 * Counts a hit without rewriting meta.yaml: one appended line per use. Given
 * the identity of the entry that was hit, the usage log stays open for the
 * next hit of that same entry (held-appends.ts): a replaced entry (another
 * identity) has a usage log of its own, a removed one is gone with its log.
 */
export function recordHit(dir: string, identity?: string): void {
  const line = `${isoTime(Date.now())}\n`;
  const file = `${dir}${path.sep}${ENTRY_FILES.usage}`;
  try {
    if (identity === undefined) {
      appendFileSync(file, line);
      return;
    }
    const fd = heldFd(file, identity, () => openSync(file, 'a', 0o666));
    try {
      writeSync(fd, line);
    } catch (err) {
      release(file);
      throw err;
    }
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
  // Joined by hand, not path.join: the manifest's paths are checked relative paths (no '', '.' or '..' part), and
  // prune checks every file of every entry (a path.join each was a twentieth of prune over 10 000 entries).
  const inDir = (rel: string) => `${dir}${path.sep}${rel}`;
  const sized = (rel: string, size: number): string | null => {
    try {
      const st = lstatSync(inDir(rel));
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
    const rel = `${ENTRY_FILES.out}/${o.path}`;
    if (o.type === 'file') {
      const problem = sized(rel, o.size);
      if (problem) return { file: `out/${o.path}`, reason: `output ${problem}` };
      continue;
    }
    try {
      const st = lstatSync(inDir(rel));
      if ((o.type === 'dir' && !st.isDirectory()) || (o.type === 'symlink' && !st.isSymbolicLink()))
        return { file: `out/${o.path}`, reason: `output is not a ${o.type}` };
    } catch {
      return { file: `out/${o.path}`, reason: 'output is missing' };
    }
  }
  return null;
}
