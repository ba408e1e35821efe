import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  readlinkSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { statStamp } from './stamp.js';
import { walkTree } from './walk.js';
import { digestCap, noteWritten } from './digest-records.js';
import { makeDirs } from '../store/make-dirs.js';
import { UsageError } from '../errors.js';
import { crypto } from '../lazy-builtins.js';
import { Sha256 } from './sha256-js.js';

const CHUNK = 1 << 20;
/** Progress is reported at most this often while one file is hashed (and once when it is done). */
const PROGRESS_EVERY_MS = 100;

export interface HashProgress {
  file: string;
  /** Bytes hashed so far, and the file's size when hashing began. */
  bytes: number;
  total: number;
  /** Bytes per second since this file's hashing began. */
  rate: number;
  /** Since this file's hashing began. */
  elapsedMs: number;
  done: boolean;
}

/** Hears about every long hash in this process that has no listener of its own (the CLI shows them). */
let everyHash: ((progress: HashProgress) => void) | undefined;

export function onHashProgress(listener: ((progress: HashProgress) => void) | undefined): void {
  everyHash = listener;
}

/**
 * SHA-256 of a file's bytes, read in chunks so memory stays flat for big
 * inputs. `onProgress` hears about long hashing (a 12 GB input takes a
 * minute): never for a file done within PROGRESS_EVERY_MS, so small inputs pay nothing.
 */
/** Hashing is synchronous and never re-entered, so one read buffer serves every call. */
let shared: Buffer | undefined;

export function sha256File(file: string, own?: (progress: HashProgress) => void): string {
  const fd = openSync(file, 'r');
  try {
    return sha256Fd(fd, file, own ?? everyHash);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of a freshly opened file, read from its current offset so pipes work too (the caller keeps the descriptor: sealing flushes it afterwards). */
export function sha256Fd(
  fd: number,
  file: string,
  onProgress: ((progress: HashProgress) => void) | undefined = everyHash,
): string {
  const hash = newHash();
  // One buffer for every file this process hashes: a fresh 1 MiB per file cost 0.5 s and GC on 10 000 outputs.
  const buffer = (shared ??= Buffer.allocUnsafe(CHUNK));
  const started = Date.now();
  let reported = started;
  let bytes = 0;
  let total = 0;
  const report = (done: boolean) => {
    const elapsedMs = Date.now() - started;
    onProgress!({ file, bytes, total, rate: elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0, elapsedMs, done });
  };
  if (onProgress) total = fstatSync(fd).size;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(n === CHUNK ? buffer : buffer.subarray(0, n));
      bytes += n;
      if (onProgress && Date.now() - reported >= PROGRESS_EVERY_MS) {
        reported = Date.now();
        report(false);
      }
    }
  } finally {
    // Also when reading failed half-way: a progress line shown must be taken down.
    if (onProgress && reported !== started) report(true);
  }
  return hash.digest();
}

/**
 * Up to this many bytes are hashed in JavaScript while node:crypto is not loaded yet: loading it
 * costs a start about 3 ms, hashing here about 0.4 ms per KiB at first (less once V8 has
 * compiled the loop), so a hit's few small digests (its key, meta.yaml, the saved config) never
 * load it. Both give the same digest (test/unit/sha256-js.test.ts).
 */
const JS_LIMIT = 8 << 10;
let nodeCrypto: typeof import('node:crypto') | null = null;

function nodeHash(): import('node:crypto').Hash {
  nodeCrypto ??= crypto();
  return nodeCrypto.createHash('sha256');
}

/**
 * From now on every digest of this process is node:crypto's. For the full CLI: its commands load node:crypto
 * anyway (a miss to store, `ls` for its summaries), and until then the JavaScript digest, run cold, of the config,
 * keys and metas they read first costs a miss some 20 ms of CPU.
 */
export function useNodeCrypto(): void {
  nodeCrypto ??= crypto();
}

/** A SHA-256 fed in pieces: in JavaScript while small (the pieces kept), node:crypto once past JS_LIMIT. */
export function newHash(): { update(bytes: Uint8Array): void; digest(): string } {
  let head: Uint8Array[] | null = nodeCrypto ? null : [];
  let size = 0;
  let node = head ? null : nodeHash();
  return {
    update(bytes) {
      if (head && size + bytes.length <= JS_LIMIT) {
        head.push(Uint8Array.prototype.slice.call(bytes)); // the caller reuses its buffer
        size += bytes.length;
        return;
      }
      if (!node) {
        node = nodeHash();
        for (const piece of head!) node.update(piece);
        head = null;
      }
      node.update(bytes);
    },
    digest() {
      if (node) return node.digest('hex');
      const js = new Sha256();
      for (const piece of head!) js.update(piece);
      return js.digestHex();
    },
  };
}

/**
 * An input that exists but cannot be read (no read permission, an I/O error):
 * bad input like a missing file, so exit 2 and a sentence naming the file,
 * not an unexpected error.
 */
export class UnreadableInput extends UsageError {}

const READ_FAILURES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'an I/O error',
  ELOOP: 'too many levels of symbolic links',
};

function unreadable(err: unknown, file: string, what: string): unknown {
  const reason = READ_FAILURES[(err as NodeJS.ErrnoException)?.code ?? ''];
  if (!reason) return err;
  const fix = reason === 'permission denied' ? 'make it readable for this user (chmod +r) or' : 'check it or';
  return new UnreadableInput(`The input ${what} ${file} cannot be read (${reason}); ${fix} pass another one.`, {
    cause: err,
  });
}

export function sha256(data: string | Buffer): string {
  if (!nodeCrypto && data.length <= JS_LIMIT) {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length <= JS_LIMIT) return new Sha256().update(bytes).digestHex();
  }
  return nodeHash().update(data).digest('hex');
}

/**
 * Remembers file digests per (device, inode, size, mtime, ctime) so an
 * unchanged large input costs one stat on a hit. ctime is included because
 * `touch -d` can fake an mtime but not a ctime. A file modified within the last
 * second is not remembered: a second write in the same timestamp tick would
 * otherwise keep the stale digest (git's "racy clean" problem).
 */
export class DigestCache {
  constructor(
    private readonly folder: string | null,
    /** Hears about long hashing of one input (see sha256File); the CLI shows it. */
    private readonly onProgress?: (progress: HashProgress) => void,
  ) {}

  /** The digest records this process read or made, by absolute path: notes kept beside a digest are read from here. */
  private readonly records = new Map<string, { stamp: string; digest: string; notes: string[]; kept: boolean }>();

  private entryPath(file: string): string {
    const id = sha256(file);
    return path.join(this.folder!, id.slice(0, 2), id.slice(2));
  }

  digest(file: string): string {
    try {
      return this.fileDigest(file);
    } catch (err) {
      throw unreadable(err, path.resolve(file), 'file');
    }
  }

  private fileDigest(file: string): string {
    const absolute = path.resolve(file);
    const st = statSync(absolute, { bigint: true });
    const stamp = statStamp(st, 'content');
    if (this.folder) {
      try {
        const [cachedStamp, digest, , ...notes] = readFileSync(this.entryPath(absolute), 'utf8').split('\n');
        if (cachedStamp === stamp && digest?.length === 64) {
          this.records.set(absolute, { stamp, digest, notes: notes.filter(Boolean), kept: true });
          return digest;
        }
      } catch {
        /* not cached yet */
      }
    }
    const digest = sha256File(absolute, this.onProgress);
    const ageMs = Date.now() - Number(st.mtimeMs);
    const kept = Boolean(this.folder) && ageMs > 1000;
    this.records.set(absolute, { stamp, digest, notes: [], kept });
    // The path is kept too, so `prune` can drop records of files that are gone or changed.
    if (kept) this.remember(absolute, `${stamp}\n${digest}\n${absolute}\n`);
    return digest;
  }

  /**
   * Whether the digest record of `file`, as digest() just read or made it (so for the content of
   * that stamp), carries `note`: a fact about the content worth not working out again on every
   * hit (key/tool.ts: an executable with no $ORIGIN library paths).
   */
  hasNote(file: string, note: string): boolean {
    return this.records.get(path.resolve(file))?.notes.includes(note) ?? false;
  }

  /** Keeps `note` in the digest record of `file` (one digest() has read or made this process); best effort. */
  addNote(file: string, note: string): void {
    const absolute = path.resolve(file);
    const record = this.records.get(absolute);
    if (!record?.kept || record.notes.includes(note)) return;
    record.notes.push(note);
    this.remember(absolute, `${record.stamp}\n${record.digest}\n${absolute}\n${record.notes.join('\n')}\n`);
  }

  private remember(file: string, text: string): void {
    const cap = digestCap(); // a wrong CACHEX_DIGEST_CACHE_ENTRIES is said, not ignored
    // Best effort: a read-only or full store must not fail a run over a cache of digests.
    try {
      const target = this.entryPath(file);
      makeDirs(path.dirname(target));
      const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(temp, text);
      renameSync(temp, target);
      noteWritten(path.dirname(target), path.basename(target), cap);
    } catch {
      /* ignore */
    }
  }

  /**
   * Digest of a directory tree: relative paths, entry kinds, the executable
   * bit (full modes vary with umask between machines) and contents.
   */
  treeDigest(dir: string): string {
    const lines: string[] = [];
    try {
      for (const { rel, full, st } of walkTree(dir)) {
        if (st.isSymbolicLink()) lines.push(`l ${JSON.stringify(rel)} ${JSON.stringify(readlinkSync(full))}`);
        else if (st.isDirectory()) lines.push(`d ${JSON.stringify(rel)}`);
        else if (st.isFile())
          lines.push(`f ${JSON.stringify(rel)} ${st.mode & 0o111 ? 'x' : '-'} ${this.digest(full)}`);
      }
    } catch (err) {
      // A file that cannot be read is already worded by digest(); a folder that cannot be listed is worded here.
      if (err instanceof UnreadableInput) throw err;
      throw unreadable(err, (err as NodeJS.ErrnoException).path ?? dir, 'folder');
    }
    return sha256(lines.join('\n'));
  }
}
