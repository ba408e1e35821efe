import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  renameSync,
  statSync,
  writeFileSync,
  lstatSync,
} from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

const CHUNK = 1 << 20;

/** SHA-256 of a file's bytes, read in chunks so memory stays flat for big inputs. */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(n === CHUNK ? buffer : buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
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
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Remembers file digests per (device, inode, size, mtime, ctime) so an
 * unchanged large input costs one stat on a hit. ctime is included because
 * `touch -d` can fake an mtime but not a ctime. A file modified within the last
 * second is not remembered: a second write in the same timestamp tick would
 * otherwise keep the stale digest (git's "racy clean" problem).
 */
export class DigestCache {
  constructor(private readonly folder: string | null) {}

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
    const stamp = `${st.dev} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
    if (this.folder) {
      try {
        const [cachedStamp, digest] = readFileSync(this.entryPath(absolute), 'utf8').split('\n');
        if (cachedStamp === stamp && digest?.length === 64) return digest;
      } catch {
        /* not cached yet */
      }
    }
    const digest = sha256File(absolute);
    const ageMs = Date.now() - Number(st.mtimeMs);
    if (this.folder && ageMs > 1000) this.remember(absolute, `${stamp}\n${digest}\n`);
    return digest;
  }

  private remember(file: string, text: string): void {
    // Best effort: a read-only or full store must not fail a run over a cache of digests.
    try {
      const target = this.entryPath(file);
      mkdirSync(path.dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(temp, text);
      renameSync(temp, target);
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
    const walk = (rel: string): void => {
      let names: string[];
      try {
        names = readdirSync(path.join(dir, rel)).sort();
      } catch (err) {
        throw unreadable(err, path.join(dir, rel), 'folder');
      }
      for (const name of names) {
        const relPath = rel ? `${rel}/${name}` : name;
        const full = path.join(dir, relPath);
        const st = lstatSync(full);
        if (st.isSymbolicLink()) lines.push(`l ${JSON.stringify(relPath)} ${JSON.stringify(readlinkSync(full))}`);
        else if (st.isDirectory()) {
          lines.push(`d ${JSON.stringify(relPath)}`);
          walk(relPath);
        } else if (st.isFile())
          lines.push(`f ${JSON.stringify(relPath)} ${st.mode & 0o111 ? 'x' : '-'} ${this.digest(full)}`);
      }
    };
    walk('');
    return sha256(lines.join('\n'));
  }
}
