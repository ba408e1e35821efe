import { createHash } from 'node:crypto';
import {
  chmodSync,
  constants as fsConstants,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statfsSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Header } from 'tar-stream';
import { sha256 } from '../../key/digest.js';
import { statStamp } from '../../key/stamp.js';
import { canonicalJson } from '../../key/encode.js';
import { type KeyInputs, keyOfInputs } from '../../key/inputs.js';
import { ENTRY_FILES, type EntryRef } from '../layout.js';
import { type EntryMeta, META_FORMAT, parseMeta } from '../meta.js';
import { metaIntact } from '../meta-digest.js';
import {
  type ArtifactHeader,
  HEADER_NAME,
  headerProblem,
  MAX_HEADER_BYTES,
  MAX_META_BYTES,
  type PlannedMember,
  planMembers,
} from './artifact-format.js';

export interface ImportOptions {
  ref: EntryRef;
  namespace: string;
  /** This run's key inputs; null (`remote pull <key-prefix>`): the key alone, which its inputs must hash to. */
  expectedKeyInputs: KeyInputs | null;
  signingKey: Buffer | null;
  /** An existing folder (may hold an empty out/ and the staging owner file); filled like an entry folder. */
  stagingDir: string;
  /** The x-artifact-tag the server sent, if any: it must equal the artifact's signature. */
  tag?: string | null;
  /** Compressed bytes read at most. */
  maxArtifactBytes: number;
  /** Bytes the entry may occupy unpacked (default: 8 × maxArtifactBytes). */
  maxUnpackedBytes?: number;
}

export type ImportOutcome =
  | { ok: true; meta: EntryMeta; stamps: Record<string, string>; bytes: number }
  /** `transport` is set when the bytes stopped coming (the server failed), not when they were wrong. */
  | { ok: false; reason: string; transport?: Error; bytes: number };

class Refused extends Error {}

/** One archive member as tar-stream yields it. */
type Entry = AsyncIterable<Buffer> & { header: Header; destroy(): void };

/** Free-space margin kept on the data folder's disk. */
const DISK_MARGIN = 64 * 1024 * 1024;
/** tar adds 512-byte headers and padding per member, plus pax records for long names. */
const TAR_OVERHEAD_PER_MEMBER = 4096;

/** Counts bytes through a stream and fails once they pass a limit the caller may raise. */
class Limit extends Transform {
  seen = 0;
  constructor(
    public limit: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new Refused(this.what));
    else done(null, chunk);
  }
}

async function readSmall(entry: Entry, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of entry) {
    n += chunk.length;
    if (n > max) throw new Refused(`${entry.header.name} is larger than allowed`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function expectMember(entry: Entry | undefined, name: string, size: number | null): Entry {
  if (!entry) throw new Refused(`it ends before ${name}`);
  const h = entry.header;
  if (h.name !== name) throw new Refused(`member ${JSON.stringify(h.name)} is not the expected ${name}`);
  if (h.type !== 'file') throw new Refused(`member ${name} is a ${h.type}, not a regular file`);
  if (size !== null && h.size !== size)
    throw new Refused(`member ${name} claims ${h.size} bytes, meta.yaml says ${size}`);
  return entry;
}

/** Same comparison as a local load: the executable's path may differ between machines, its digest not. */
function sameKeyInputs(a: KeyInputs, b: KeyInputs): boolean {
  return (
    canonicalJson({ ...a, executable: a.executable?.digest }) ===
    canonicalJson({ ...b, executable: b.executable?.digest })
  );
}

async function checkMeta(text: Buffer, header: ArtifactHeader, options: ImportOptions): Promise<EntryMeta> {
  const { ref } = options;
  if (text.length !== header.metaSize || sha256(text) !== header.metaSha256)
    throw new Refused('meta.yaml does not match the digest in its header');
  const utf8 = text.toString('utf8');
  if (!metaIntact(utf8)) throw new Refused('meta.yaml fails its own digest line');
  let meta: EntryMeta;
  try {
    meta = await parseMeta(utf8);
  } catch {
    throw new Refused('meta.yaml cannot be parsed');
  }
  if (!meta || typeof meta !== 'object' || meta.format !== META_FORMAT)
    throw new Refused('meta.yaml is of another format');
  if (meta.key !== ref.key || meta.module !== ref.module || meta.task !== ref.task)
    throw new Refused('meta.yaml belongs to another entry');
  if (!meta.keyInputs || keyOfInputs(meta.keyInputs) !== ref.key)
    throw new Refused('its key inputs do not hash to the key');
  if (options.expectedKeyInputs && !sameKeyInputs(meta.keyInputs, options.expectedKeyInputs))
    throw new Refused('its key inputs differ from this run (key collision)');
  return meta;
}

function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Writes one member O_EXCL (never through an existing file or symlink), checking size and digest as it goes. */
async function writeMember(entry: Entry, file: string, member: PlannedMember): Promise<void> {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
  const handle = await open(file, flags, 0o644);
  const hash = createHash('sha256');
  let n = 0;
  try {
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > member.size) throw new Refused(`member ${member.name} is longer than meta.yaml says`);
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (n !== member.size) throw new Refused(`member ${member.name} is shorter than meta.yaml says`);
  if (hash.digest('hex') !== member.digest) throw new Refused(`member ${member.name} fails its SHA-256`);
}

/** Applies what meta.yaml says about outputs: symlinks, modes, mtimes — the tar headers said nothing that counts. */
function applyOutputs(stagingDir: string, meta: EntryMeta): Record<string, string> {
  const out = path.join(stagingDir, ENTRY_FILES.out);
  const stamps: Record<string, string> = {};
  for (const o of meta.outputs) {
    const full = path.join(out, o.path);
    if (o.type === 'symlink') symlinkSync(o.target as string, full);
    if (o.type !== 'file') continue;
    // A remote artifact never grants setuid/setgid; files are read-only like local entries.
    chmodSync(full, o.mode & 0o555);
    if (o.mtimeMs !== undefined) utimesSync(full, new Date(o.mtimeMs), new Date(o.mtimeMs));
    const st = lstatSync(full, { bigint: true });
    stamps[o.path] = statStamp(st, 'stored');
  }
  const dirs = meta.outputs.filter((o) => o.type === 'dir').reverse();
  for (const d of dirs) chmodSync(path.join(out, d.path), (d.mode & 0o777) | 0o700);
  return stamps;
}

/** Empties what the import wrote, even under folders it made read-only. */
function removeWritten(stagingDir: string, names: Set<string>): void {
  for (const name of names) {
    const full = path.join(stagingDir, name);
    const unlock = (p: string): void => {
      try {
        const st = lstatSync(p);
        if (!st.isDirectory()) return;
        chmodSync(p, 0o700);
        for (const child of readdirSync(p)) unlock(path.join(p, child));
      } catch {
        /* gone already */
      }
    };
    unlock(full);
    rmSync(full, { recursive: true, force: true });
  }
}

/**
 * Reads an artifact and lays it out in stagingDir exactly like a local entry
 * folder, trusting nothing: the header and its signature first, then
 * meta.yaml against the signed digest, its own digest line, the key and this
 * run's key inputs; then each member must be the next file meta.yaml lists,
 * of its size and SHA-256. Any deviation refuses the whole artifact and
 * empties what was written. Memory stays bounded (everything streams), and
 * the disk is bounded by the declared sizes, which are checked before
 * writing against a limit and the free space.
 */
export async function importArtifact(source: Readable, options: ImportOptions): Promise<ImportOutcome> {
  const tar = await import('tar-stream');
  const { stagingDir } = options;
  const written = new Set<string>();
  let transport: Error | undefined;
  source.once('error', (err) => {
    if (!(err instanceof Refused)) transport = err;
  });
  const compressed = new Limit(options.maxArtifactBytes, 'it is larger than the maximum artifact size');
  const unpacked = new Limit(
    MAX_HEADER_BYTES + MAX_META_BYTES + 4 * TAR_OVERHEAD_PER_MEMBER,
    'it unpacks to more than it declares',
  );
  const extract = tar.extract();
  const piping = pipeline(source, compressed, createGunzip(), unpacked, extract).then(
    () => null,
    (err: Error) => err,
  );
  const entries = extract[Symbol.asyncIterator]();
  const next = async (): Promise<Entry | undefined> => {
    const r = await entries.next();
    return r.done ? undefined : (r.value as unknown as Entry);
  };
  try {
    const headerEntry = expectMember(await next(), HEADER_NAME, null);
    let header: unknown;
    try {
      header = JSON.parse((await readSmall(headerEntry, MAX_HEADER_BYTES)).toString('utf8'));
    } catch (err) {
      if (err instanceof Refused) throw err;
      throw new Refused('its header is not JSON');
    }
    const problem = headerProblem(header, options.ref, options.namespace, options.signingKey);
    if (problem) throw new Refused(problem);
    const h = header as ArtifactHeader;
    if (options.tag && h.signature && options.tag !== h.signature)
      throw new Refused("the server's x-artifact-tag differs from the artifact's signature");

    const metaText = await readSmall(expectMember(await next(), ENTRY_FILES.meta, h.metaSize), MAX_META_BYTES);
    const meta = await checkMeta(metaText, h, options);
    const plan = planMembers(meta);
    if (typeof plan === 'string') throw new Refused(plan);
    const declared = plan.reduce((sum, m) => sum + m.size, 0);
    const maxUnpacked = options.maxUnpackedBytes ?? 8 * options.maxArtifactBytes;
    if (declared > maxUnpacked)
      throw new Refused(`it declares ${declared} bytes unpacked, over the limit of ${maxUnpacked}`);
    if (declared + DISK_MARGIN > freeBytes(stagingDir))
      throw new Refused(`it needs ${declared} bytes, more than the disk has free`);
    unpacked.limit += declared + plan.length * TAR_OVERHEAD_PER_MEMBER;

    const outDir = path.join(stagingDir, ENTRY_FILES.out);
    try {
      mkdirSync(outDir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || readdirSync(outDir).length > 0) throw err;
    }
    written.add(ENTRY_FILES.out);
    for (const o of meta.outputs) if (o.type === 'dir') mkdirSync(path.join(outDir, o.path), { mode: 0o700 });
    written.add(ENTRY_FILES.meta);
    await writeBuffer(path.join(stagingDir, ENTRY_FILES.meta), metaText);
    for (const member of plan) {
      const entry = expectMember(await next(), member.name, member.size);
      if (!member.output) written.add(member.target);
      await writeMember(entry, path.join(stagingDir, member.target), member);
    }
    const extra = await next();
    if (extra) throw new Refused(`it holds the unlisted member ${JSON.stringify(extra.header.name)}`);
    const failed = await piping;
    if (failed) throw failed;
    const stamps = applyOutputs(stagingDir, meta);
    return { ok: true, meta, stamps, bytes: compressed.seen };
  } catch (err) {
    extract.destroy();
    source.destroy();
    const piped = await piping;
    removeWritten(stagingDir, written);
    if (transport) return { ok: false, reason: transport.message, transport, bytes: compressed.seen };
    // A broken stream (truncated gzip, a limit hit) is the real cause of whatever the reader then saw.
    const streamBroke = piped instanceof Refused || /^Z_/.test((piped as NodeJS.ErrnoException | null)?.code ?? '');
    const cause = streamBroke ? piped : err;
    return { ok: false, reason: reasonOf(cause), bytes: compressed.seen };
  }
}

async function writeBuffer(file: string, data: Buffer): Promise<void> {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
  const handle = await open(file, flags, 0o644);
  try {
    await handle.write(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof Refused) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'Z_BUF_ERROR' || e?.code === 'Z_DATA_ERROR' || /unexpected end/i.test(e?.message ?? ''))
    return 'it is not a complete gzip stream (truncated or damaged)';
  if (/premature close/i.test(e?.message ?? '')) return 'it ends early (truncated)';
  if (/tar|header|invalid/i.test(e?.message ?? '')) return 'it is not a valid tar archive';
  return `it cannot be read (${e?.message ?? String(err)})`;
}
