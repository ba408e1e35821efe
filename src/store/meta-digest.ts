import { sha256 } from '../key/digest.js';

/**
 * meta.yaml carries the digest of its own text as its last line, so a flipped
 * bit in a value nothing else checks (the exit code, a param, the manifest of a
 * symlink) is caught like damage to any other file. A plain YAML key rather
 * than a comment, so the fast subset reader still reads the file.
 */
const LAST_LINE = /\nmetaDigest: "([0-9a-f]{64})"\n$/;

export function sealMeta(text: string): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `${body}${metaDigestLine(sha256(body))}`;
}

/** The last line of meta.yaml, for the digest of the text before it (a writer that digests as it writes). */
export function metaDigestLine(digest: string): string {
  return `metaDigest: "${digest}"\n`;
}

/** True when the text ends with the digest of everything before that line. */
export function metaIntact(text: string): boolean {
  const match = LAST_LINE.exec(text);
  return match !== null && sha256(text.slice(0, match.index + 1)) === match[1];
}
