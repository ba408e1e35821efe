import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { sha256 } from '../../key/digest.js';
import { ENTRY_FILES, type EntryRef } from '../layout.js';
import { parseMeta } from '../meta.js';
import { metaIntact } from '../meta-digest.js';
import { HEADER_NAME, makeHeader, planMembers } from './artifact-format.js';
import { makeDirs } from '../make-dirs.js';

export interface PackedArtifact {
  /** The archive in tmp/: its size is known and it can be sent again on a retry. */
  file: string;
  size: number;
  /** SHA-256 of the archive bytes (S3 signs the payload with it). */
  sha256: string;
  /** The artifact's signature, or null when signing is off; sent as x-artifact-tag. */
  signature: string | null;
  remove(): void;
}

export interface PackOptions {
  ref: EntryRef;
  namespace: string;
  signingKey: Buffer | null;
  /** Where the archive is built (the data folder's tmp/). */
  tmpDir: string;
}

/** Thrown when the local entry is not fit to share (damaged since it was verified). */
export class PackRefused extends Error {}

/** Passes bytes through and checks their count and digest at the end. */
function checked(name: string, size: number, digest: string): Transform {
  const hash = createHash('sha256');
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (seen !== size || hash.digest('hex') !== digest)
        done(new PackRefused(`the local entry's ${name} no longer matches meta.yaml`));
      else done();
    },
  });
}

/**
 * Packs a local entry folder into an artifact under tmpDir. Every file is
 * re-checked against meta.yaml while it is read, so a damaged entry is never
 * shared. Tar headers carry fixed modes and times: the importer ignores them.
 */
export async function packArtifact(entryDir: string, options: PackOptions): Promise<PackedArtifact> {
  const tar = await import('tar-stream');
  const metaText = readFileSync(path.join(entryDir, ENTRY_FILES.meta));
  if (!metaIntact(metaText.toString('utf8'))) throw new PackRefused('the local meta.yaml is damaged');
  const meta = await parseMeta(metaText.toString('utf8'));
  const { ref } = options;
  if (meta.key !== ref.key || meta.module !== ref.module || meta.task !== ref.task)
    throw new PackRefused('the local meta.yaml belongs to another entry');
  const plan = planMembers(meta);
  if (typeof plan === 'string') throw new PackRefused(plan);
  const header = makeHeader(ref, options.namespace, sha256(metaText), metaText.length, options.signingKey);

  makeDirs(options.tmpDir);
  const file = path.join(options.tmpDir, `artifact-${ref.key.slice(0, 12)}-${randomBytes(6).toString('hex')}.tgz`);
  const remove = () => rmSync(file, { force: true });
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const writing = pipeline(pack, createGzip({ level: 6 }), count, createWriteStream(file, { flags: 'wx' }));
  const fixed = { mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, type: 'file' as const };
  const addBuffer = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ ...fixed, name, size: data.length }, data, (err) => (err ? reject(err) : resolve())),
    );
  try {
    await addBuffer(HEADER_NAME, Buffer.from(JSON.stringify(header)));
    await addBuffer(ENTRY_FILES.meta, metaText);
    for (const member of plan) {
      const entry = pack.entry({ ...fixed, name: member.name, size: member.size });
      await pipeline(
        createReadStream(path.join(entryDir, member.target)),
        checked(member.name, member.size, member.digest),
        entry,
      );
    }
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy();
    await writing.catch(() => {});
    remove();
    throw err;
  }
  return { file, size, sha256: hash.digest('hex'), signature: header.signature, remove };
}
