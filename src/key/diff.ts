import path from 'node:path';
import type { ParamsSchema } from '../config/types.js';
import { flagName } from '../tasks/flags.js';
import { displayName } from '../tasks/name-bytes.js';
import { canonicalJson } from './encode.js';
import type { KeyInputs } from './inputs.js';

/**
 * What changed between a stored entry's key inputs and this run's, as data
 * (for --json) and in words (for `why`, --explain and a miss's status line).
 * Pure: nothing here reads the disk.
 */

type KeyBy = 'content' | 'path' | 'both';
type PathKind = 'file' | 'dir';

export type KeyChange =
  | { kind: 'format'; before: number; after: number }
  | { kind: 'task-kind'; before: string; after: string }
  | { kind: 'version'; before: string | number | null; after: string | number | null }
  | { kind: 'code' }
  | { kind: 'command'; before: readonly string[]; after: readonly string[] }
  | { kind: 'executable'; before: string; after: string }
  /** Relative to the project root; `before` absent: the entry was stored before the working folder entered keys. */
  | { kind: 'working-folder'; before?: string; after?: string }
  | { kind: 'param'; param: string; before?: unknown; after?: unknown }
  | { kind: 'key-by'; param: string; before: KeyBy; after: KeyBy }
  | {
      kind: 'path';
      param: string;
      type: PathKind;
      /** Position in a list param. */
      index?: number;
      /** Shown paths (relative to the working folder when inside it). */
      before: string | null;
      after: string | null;
      pathChanged: boolean;
      digestBefore?: string;
      digestAfter?: string;
    }
  | { kind: 'path-list'; param: string; type: PathKind; added: string[]; removed: string[]; reordered: boolean }
  | { kind: 'env'; name: string; change: 'changed' | 'set' | 'unset' | 'added' | 'removed' };

/** One difference: the data, a sentence and a short form for a status line. */
export type KeyDifference = KeyChange & { text: string; short: string };

/** One side of the comparison: key inputs and the param values as given (absolute paths). */
export interface KeySide {
  inputs: KeyInputs;
  params?: Record<string, unknown>;
}

export interface DiffOptions {
  /** The current task's schema: tells a file from a dir param. */
  schema?: ParamsSchema;
  /** Paths are shown relative to this folder when inside it. */
  cwd?: string;
}

const short = (digest: string | undefined) => `${(digest ?? '').slice(0, 4)}…`;
const flag = (param: string) => `--${flagName(param)}`;

function showValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.length ? value.map(showValue).join(',') : '(empty list)';
  if (typeof value === 'string') return /^[^\s",]+$/.test(value) ? value : JSON.stringify(value);
  return canonicalJson(value);
}

function showPath(p: string, cwd: string | undefined): string {
  if (!cwd || !path.isAbsolute(p)) return displayName(p);
  const rel = path.relative(cwd, p);
  return displayName(rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p);
}

interface PathInput {
  path?: string;
  digest?: string;
}

function isPathInput(value: unknown): value is PathInput {
  return Boolean(value && typeof value === 'object' && !Array.isArray(value) && ('digest' in value || 'path' in value));
}

function isPathList(value: unknown): value is PathInput[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPathInput);
}

function keyByOf(input: PathInput): KeyBy {
  if (input.path !== undefined && input.digest !== undefined) return 'both';
  return input.path !== undefined ? 'path' : 'content';
}

function describe(change: KeyChange): KeyDifference {
  const [text, brief] = words(change);
  return { ...change, text, short: brief };
}

function words(c: KeyChange): [string, string] {
  switch (c.kind) {
    case 'format':
      return ['cachex key format changed', 'cachex key format changed'];
    case 'task-kind':
      return [`task kind ${c.before} → ${c.after}`, 'task kind changed'];
    case 'version':
      return [`version ${c.before ?? 'none'} → ${c.after ?? 'none'}`, 'version changed'];
    case 'code':
      return ['run function source changed', 'run function changed'];
    case 'command':
      return [`command ${c.before.join(' ')} → ${c.after.join(' ')}`, 'command changed'];
    case 'executable':
      return [
        c.before === c.after
          ? `executable ${c.after}: content changed`
          : `executable ${c.after}: content changed (was ${c.before})`,
        'executable changed',
      ];
    case 'working-folder': {
      const shown = (p: string | undefined) => (p === undefined ? '(not in the key)' : displayName(p));
      if (c.before === undefined)
        return [
          `working folder ${shown(c.after)} (the entry was stored before cachex keyed the working folder)`,
          'working folder now in the key',
        ];
      return [`working folder ${shown(c.before)} → ${shown(c.after)}`, 'working folder changed'];
    }
    case 'param':
      return [`${flag(c.param)} ${showValue(c.before)} → ${showValue(c.after)}`, `${flag(c.param)} changed`];
    case 'key-by':
      return [`${flag(c.param)} keyed by ${c.before} → ${c.after}`, `${flag(c.param)} keyBy changed`];
    case 'path-list': {
      const parts = [
        ...(c.added.length ? [`${c.added.join(', ')} added`] : []),
        ...(c.removed.length ? [`${c.removed.join(', ')} removed`] : []),
      ];
      if (!parts.length) parts.push(c.reordered ? 'order changed' : 'changed');
      return [`${flag(c.param)}: ${parts.join('; ')}`, `${flag(c.param)} changed`];
    }
    case 'path':
      return pathWords(c);
    case 'env': {
      const how = {
        changed: 'changed',
        set: 'set (was unset)',
        unset: 'unset (was set)',
        added: 'added to the key',
        removed: 'no longer in the key',
      }[c.change];
      return [`env ${c.name} ${how}`, `env ${c.name} changed`];
    }
  }
}

function pathWords(c: Extract<KeyChange, { kind: 'path' }>): [string, string] {
  const shown = c.after ?? c.before ?? '?';
  const brief = `${path.basename(shown)} changed`;
  const content = c.digestBefore !== c.digestAfter;
  const digests = `sha256 ${short(c.digestBefore)} → ${short(c.digestAfter)}`;
  if (c.pathChanged && content) return [`${c.type} ${c.before} → ${c.after}, content changed (${digests})`, brief];
  if (c.pathChanged) return [`${c.type} ${c.before} → ${c.after}`, brief];
  if (c.before && c.after && c.before !== c.after)
    return [`${c.type} ${c.after}: content differs from ${c.before} (${digests})`, brief];
  return [`${c.type} ${shown}: content changed (${digests})`, brief];
}

function pathDifferences(
  name: string,
  before: unknown,
  after: unknown,
  sides: { before?: unknown; after?: unknown },
  options: DiffOptions,
): KeyChange[] {
  const type: PathKind = options.schema?.[name]?.type === 'dir' ? 'dir' : 'file';
  const shownAt = (input: PathInput, given: unknown, index: number | undefined): string | null => {
    if (input.path !== undefined) return displayName(input.path);
    const value = index === undefined ? given : Array.isArray(given) ? given[index] : undefined;
    return typeof value === 'string' ? showPath(value, options.cwd) : null;
  };
  const one = (b: PathInput, a: PathInput, index?: number): KeyChange[] => {
    if (keyByOf(b) !== keyByOf(a)) return [{ kind: 'key-by', param: name, before: keyByOf(b), after: keyByOf(a) }];
    if (b.path === a.path && b.digest === a.digest) return [];
    return [
      {
        kind: 'path',
        param: name,
        type,
        ...(index === undefined ? {} : { index }),
        before: shownAt(b, sides.before, index),
        after: shownAt(a, sides.after, index),
        pathChanged: b.path !== a.path,
        ...(b.digest === a.digest ? {} : { digestBefore: b.digest, digestAfter: a.digest }),
      },
    ];
  };
  if (isPathInput(before) && isPathInput(after)) return one(before, after);
  if (isPathList(before) && isPathList(after)) {
    const sorted = (list: PathInput[]) =>
      list
        .map((x) => canonicalJson(x))
        .sort()
        .join('\n');
    const reordered = sorted(before) === sorted(after);
    if (before.length === after.length && !reordered) return before.flatMap((b, i) => one(b, after[i], i));
    const shownBefore = before.map((b, i) => shownAt(b, sides.before, i) ?? `#${i + 1}`);
    const shownAfter = after.map((a, i) => shownAt(a, sides.after, i) ?? `#${i + 1}`);
    return [
      {
        kind: 'path-list',
        param: name,
        type,
        added: shownAfter.filter((p) => !shownBefore.includes(p)),
        removed: shownBefore.filter((p) => !shownAfter.includes(p)),
        reordered,
      },
    ];
  }
  return [{ kind: 'param', param: name, before, after }];
}

function paramDifferences(stored: KeySide, current: KeySide, options: DiffOptions): KeyChange[] {
  const before = stored.inputs.params ?? {};
  const after = current.inputs.params ?? {};
  const names = [...Object.keys(after), ...Object.keys(before).filter((n) => !(n in after))];
  const changes: KeyChange[] = [];
  for (const name of names) {
    const b = before[name];
    const a = after[name];
    if (canonicalJson(b) === canonicalJson(a)) continue;
    const pathLike = (v: unknown) => isPathInput(v) || isPathList(v);
    if (b !== undefined && a !== undefined && pathLike(b) && pathLike(a)) {
      changes.push(
        ...pathDifferences(name, b, a, { before: stored.params?.[name], after: current.params?.[name] }, options),
      );
    } else {
      changes.push({
        kind: 'param',
        param: name,
        ...(b === undefined ? {} : { before: pathLike(b) ? stored.params?.[name] : b }),
        ...(a === undefined ? {} : { after: pathLike(a) ? current.params?.[name] : a }),
      });
    }
  }
  return changes;
}

function envDifferences(before: KeyInputs['env'], after: KeyInputs['env']): KeyChange[] {
  const changes: KeyChange[] = [];
  const names = [...new Set([...Object.keys(after ?? {}), ...Object.keys(before ?? {})])].sort();
  for (const name of names) {
    const inBefore = before && name in before;
    const inAfter = after && name in after;
    const b = before?.[name];
    const a = after?.[name];
    if (!inBefore) changes.push({ kind: 'env', name, change: 'added' });
    else if (!inAfter) changes.push({ kind: 'env', name, change: 'removed' });
    else if (b === a) continue;
    else if (b === null) changes.push({ kind: 'env', name, change: 'set' });
    else if (a === null) changes.push({ kind: 'env', name, change: 'unset' });
    else changes.push({ kind: 'env', name, change: 'changed' });
  }
  return changes;
}

/** Every key input that differs between a stored entry (`stored`) and this run (`current`), in a stable order. */
export function diffKeyInputs(stored: KeySide, current: KeySide, options: DiffOptions = {}): KeyDifference[] {
  const b = stored.inputs;
  const a = current.inputs;
  const changes: KeyChange[] = [];
  if (b.format !== a.format) changes.push({ kind: 'format', before: b.format, after: a.format });
  if (b.kind !== a.kind) changes.push({ kind: 'task-kind', before: b.kind, after: a.kind });
  if ((b.version ?? null) !== (a.version ?? null))
    changes.push({ kind: 'version', before: b.version ?? null, after: a.version ?? null });
  if (b.code !== a.code && b.kind === a.kind) changes.push({ kind: 'code' });
  if (b.command && a.command && canonicalJson(b.command) !== canonicalJson(a.command))
    changes.push({ kind: 'command', before: b.command, after: a.command });
  if (b.executable && a.executable && b.executable.digest !== a.executable.digest)
    changes.push({ kind: 'executable', before: b.executable.path, after: a.executable.path });
  if (b.workingFolder !== a.workingFolder && b.kind === a.kind)
    changes.push({
      kind: 'working-folder',
      ...(b.workingFolder === undefined ? {} : { before: b.workingFolder }),
      ...(a.workingFolder === undefined ? {} : { after: a.workingFolder }),
    });
  changes.push(...paramDifferences(stored, current, options));
  changes.push(...envDifferences(b.env, a.env));
  return changes.map(describe);
}

export interface RankedEntry<T> {
  entry: T;
  differences: KeyDifference[];
}

/** Stored entries nearest first: fewest differing inputs, and among equals the most recent. */
export function rankEntries<T extends KeySide & { created: string | null }>(
  current: KeySide,
  entries: readonly T[],
  options: DiffOptions = {},
): RankedEntry<T>[] {
  const time = (created: string | null) => (created ? Date.parse(created) || 0 : 0);
  return entries
    .map((entry) => ({ entry, differences: diffKeyInputs(entry, current, options) }))
    .sort((x, y) => x.differences.length - y.differences.length || time(y.entry.created) - time(x.entry.created));
}

/** A miss's reason for its status line: `run function changed`, `--resolution changed and 1 more`. */
export function missReason(differences: readonly KeyDifference[]): string | null {
  if (!differences.length) return null;
  const more = differences.length - 1;
  return more ? `${differences[0].short} and ${more} more` : differences[0].short;
}
