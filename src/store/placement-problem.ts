import path from 'node:path';
import { UsageError } from '../errors.js';

export type LinkMode = 'auto' | 'copy' | 'hardlink' | 'symlink';
export const LINK_MODES: readonly LinkMode[] = ['auto', 'copy', 'hardlink', 'symlink'];

/** Why outputs were not placed where asked: a closed set, put into words by output/placement.ts for each door. */
export type PlacementProblem =
  | { kind: 'symlink-in-target'; path: string }
  | { kind: 'not-a-folder'; path: string }
  | { kind: 'folder-in-the-way'; path: string }
  | { kind: 'escaping-path'; path: string }
  | { kind: 'escaping-symlink'; path: string }
  | { kind: 'bad-publish-name'; name: string }
  | { kind: 'publish-taken'; path: string };

/** A refused placement (exit 2): the target, not the store, is at fault. */
export class PlacementRefused extends UsageError {
  constructor(readonly problem: PlacementProblem) {
    super(`Refused to place outputs (${problem.kind}: ${'path' in problem ? problem.path : problem.name}).`);
  }
}

/** A part that is empty, `.` or `..`, anywhere in a slash-separated path. */
const BAD_PART = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * A manifest path is safe when it is relative and never climbs (`..`) or carries NUL. One regex test,
 * no split into parts: a placement checks every output (10 000 on a large hit) before it places any.
 */
export function safeRelative(rel: string): boolean {
  return rel !== '' && !rel.includes('\0') && !rel.includes('\\') && !path.isAbsolute(rel) && !BAD_PART.test(rel);
}
