import path from 'node:path';
import { canonicalJson } from '../../key/encode.js';
import { ENTRY_FILES, type EntryRef } from '../layout.js';
import type { EntryMeta, OutputRecord } from '../meta.js';
import { ARTIFACT_FORMAT } from './ids.js';
import { ARTIFACT_DOMAIN, sign, signatureMatches } from './signing.js';

/**
 * An artifact is gzip(tar) of, in this order: cachex-artifact.json (the
 * header), meta.yaml, stdout.log, stderr.log, the result file, then every
 * output file in meta.yaml order. Only regular files travel: folders,
 * symlinks, modes and mtimes come from meta.yaml, never from tar headers.
 */
export const HEADER_NAME = 'cachex-artifact.json';
export const MAX_HEADER_BYTES = 64 * 1024;
export const MAX_META_BYTES = 16 * 1024 * 1024;

export interface ArtifactHeader {
  format: number;
  namespace: string;
  module: string;
  task: string;
  key: string;
  metaSha256: string;
  metaSize: number;
  /** HMAC-SHA256 (hex), or null when signing is turned off. */
  signature: string | null;
}

/** One member of the archive after the header and meta.yaml, and where it lands in the entry folder. */
export interface PlannedMember {
  name: string;
  size: number;
  digest: string;
  /** Path relative to the entry folder. */
  target: string;
  output?: OutputRecord;
}

function signedFields(h: Omit<ArtifactHeader, 'signature'>): string[] {
  const { format, namespace, module, task, key, metaSha256, metaSize } = h;
  const header = canonicalJson({ format, namespace, module, task, key, metaSha256, metaSize });
  return [namespace, `${module}/${task}/${key}`, metaSha256, header];
}

export function makeHeader(
  ref: EntryRef,
  namespace: string,
  metaSha256: string,
  metaSize: number,
  signingKey: Buffer | null,
): ArtifactHeader {
  const unsigned = { format: ARTIFACT_FORMAT, namespace, ...ref, metaSha256, metaSize };
  return { ...unsigned, signature: signingKey ? sign(signingKey, ARTIFACT_DOMAIN, signedFields(unsigned)) : null };
}

/** Checks a header read from an archive; returns the reason it is refused, or null. */
export function headerProblem(
  value: unknown,
  ref: EntryRef,
  namespace: string,
  signingKey: Buffer | null,
): string | null {
  if (!value || typeof value !== 'object') return 'its header is not an object';
  const h = value as Partial<ArtifactHeader>;
  if (h.format !== ARTIFACT_FORMAT) return `its format ${JSON.stringify(h.format)} is not ${ARTIFACT_FORMAT}`;
  if (h.namespace !== namespace || h.module !== ref.module || h.task !== ref.task || h.key !== ref.key)
    return 'it was stored for another entry or namespace';
  if (typeof h.metaSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.metaSha256)) return 'its header has no meta digest';
  if (!Number.isSafeInteger(h.metaSize) || (h.metaSize as number) <= 0 || (h.metaSize as number) > MAX_META_BYTES)
    return 'its header claims an impossible meta.yaml size';
  if (!signingKey) return null;
  if (h.signature === null || h.signature === undefined) return 'it is unsigned';
  if (!signatureMatches(signingKey, ARTIFACT_DOMAIN, signedFields(h as ArtifactHeader), h.signature))
    return 'its signature does not match (another signing key, or altered)';
  return null;
}

const SEGMENT_OK = /^[^/\\\0]+$/;

/** A manifest path is relative, normalised, and has no `.`/`..` segments. */
function safeRelative(p: unknown): p is string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 4096) return false;
  return p.split('/').every((s) => SEGMENT_OK.test(s) && s !== '.' && s !== '..');
}

/** The symlink's target resolves inside the output folder (same rule as when it was stored). */
export function symlinkInside(linkRel: string, target: unknown): boolean {
  if (typeof target !== 'string' || target.length === 0 || target.includes('\0') || path.posix.isAbsolute(target))
    return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkRel), target));
  return resolved !== '..' && !resolved.startsWith('../') && resolved !== '.';
}

function blobOk(b: unknown): b is { size: number; digest: string } {
  const r = b as { size?: unknown; digest?: unknown };
  return (
    !!r &&
    Number.isSafeInteger(r.size) &&
    (r.size as number) >= 0 &&
    typeof r.digest === 'string' &&
    /^[0-9a-f]{64}$/.test(r.digest)
  );
}

/**
 * The members that must follow meta.yaml, in order, from the (already
 * digest-checked) meta. Anything meta.yaml could use to escape the entry
 * folder — `..`, absolute paths, symlinks pointing out, a file under a
 * symlink or under something not declared a folder — is refused here,
 * before one byte is written.
 */
export function planMembers(meta: EntryMeta): PlannedMember[] | string {
  const plan: PlannedMember[] = [];
  const logs = meta.logs;
  if (!logs || !blobOk(logs.stdout) || !blobOk(logs.stderr)) return 'meta.yaml has no valid log records';
  plan.push({ name: ENTRY_FILES.stdout, target: ENTRY_FILES.stdout, ...logs.stdout });
  plan.push({ name: ENTRY_FILES.stderr, target: ENTRY_FILES.stderr, ...logs.stderr });
  if (meta.result !== null && meta.result !== undefined) {
    const file = meta.result.file;
    if (!blobOk(meta.result) || typeof file !== 'string' || !/^result[A-Za-z0-9._-]{0,64}$/.test(file))
      return 'meta.yaml has an invalid result record';
    plan.push({ name: file, target: file, size: meta.result.size, digest: meta.result.digest });
  }
  if (!Array.isArray(meta.outputs)) return 'meta.yaml has no output list';
  const kinds = new Map<string, OutputRecord['type']>();
  for (const o of meta.outputs) {
    if (!o || !safeRelative(o.path)) return `meta.yaml lists an unsafe output path ${JSON.stringify(o?.path)}`;
    if (kinds.has(o.path)) return `meta.yaml lists the output ${o.path} twice`;
    const parent = path.posix.dirname(o.path);
    if (parent !== '.' && kinds.get(parent) !== 'dir') return `meta.yaml lists ${o.path} outside a listed folder`;
    if (!Number.isInteger(o.mode) || o.mode < 0 || o.mode > 0o7777)
      return `meta.yaml has an invalid mode for ${o.path}`;
    if (o.type === 'file') {
      if (!blobOk(o)) return `meta.yaml has an invalid record for ${o.path}`;
      if (o.mtimeMs !== undefined && !Number.isFinite(o.mtimeMs)) return `meta.yaml has an invalid mtime for ${o.path}`;
      plan.push({
        name: `out/${o.path}`,
        target: path.join(ENTRY_FILES.out, o.path),
        size: o.size,
        digest: o.digest as string,
        output: o,
      });
    } else if (o.type === 'symlink') {
      if (!symlinkInside(o.path, o.target)) return `meta.yaml has a symlink ${o.path} that points outside the outputs`;
    } else if (o.type !== 'dir') return `meta.yaml has an output ${o.path} of unknown type`;
    kinds.set(o.path, o.type);
  }
  return plan;
}
