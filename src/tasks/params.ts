import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import type { ParamSpec, ParamsSchema } from '../config/types.js';
import { flagName } from './flags.js';
import { displayName } from './name-bytes.js';
import { openRawPath } from './raw-argv.js';
import { workingFolder } from './working-folder.js';

export type ParamValue = string | number | boolean | ParamValue[];
export type Params = Record<string, ParamValue>;

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const PARAMS_FILE = 'params file';

function label(name: string, origin: string): string {
  if (origin === 'argument') return `the argument "${name}"`;
  if (origin.startsWith(PARAMS_FILE)) return `The value of "${name}" in the ${origin}`;
  return origin === 'flag' ? `--${flagName(name)}` : `${origin} value of "${name}"`;
}

function bad(name: string, origin: string, problem: string): never {
  // A bad value in the params file is a configuration error (exit 3), like its other errors.
  if (origin.startsWith(PARAMS_FILE))
    throw new ConfigError(`${label(name, origin)} ${problem}${problem.includes(';') ? '' : '; fix it there'}.`);
  throw new UsageError(`${label(name, origin)} ${problem}.`);
}

function toNumber(name: string, origin: string, raw: unknown, integer: boolean): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && DECIMAL.test(raw.trim())) n = Number(raw.trim());
  else bad(name, origin, `expects ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
  if (!Number.isFinite(n)) bad(name, origin, `expects a finite number, got ${JSON.stringify(raw)}`);
  if (integer && !Number.isSafeInteger(n))
    bad(
      name,
      origin,
      `expects an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(raw)}`,
    );
  return n === 0 ? 0 : n; // -0 and 0 share a key
}

function toPath(name: string, spec: ParamSpec, origin: string, raw: unknown, cwd: string): string {
  if (typeof raw !== 'string' || raw === '') bad(name, origin, `expects a path, got ${JSON.stringify(raw)}`);
  if (raw.includes('\0')) bad(name, origin, 'contains a NUL character');
  let absolute = path.resolve(workingFolder(cwd), raw);
  let stats;
  try {
    stats = statSync(absolute);
  } catch {
    const alias = openRawPath(raw, cwd);
    if (!alias) bad(name, origin, `names ${displayName(raw)}, which does not exist; check the path`);
    absolute = alias;
    stats = statSync(alias);
  }
  if (spec.type === 'file' && !stats.isFile())
    bad(name, origin, `names ${displayName(raw)}, which is not a regular file`);
  if (spec.type === 'dir' && !stats.isDirectory())
    bad(name, origin, `names ${displayName(raw)}, which is not a directory`);
  return absolute;
}

/** Validates one value and brings it to its canonical form (`0.10` → 0.1, `"true"` → true). */
export function normalizeValue(name: string, spec: ParamSpec, raw: unknown, origin: string, cwd: string): ParamValue {
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string') bad(name, origin, `expects a string, got ${JSON.stringify(raw)}`);
      if (raw.includes('\0')) bad(name, origin, 'contains a NUL character');
      if (raw === '' && spec.required) bad(name, origin, 'needs a non-empty value');
      return raw;
    case 'number':
      return toNumber(name, origin, raw, false);
    case 'integer':
      return toNumber(name, origin, raw, true);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return bad(name, origin, `expects true or false, got ${JSON.stringify(raw)}`);
    case 'enum':
      if (typeof raw !== 'string' || !spec.choices!.includes(raw))
        bad(name, origin, `must be one of ${spec.choices!.join(', ')}, got ${JSON.stringify(raw)}`);
      return raw;
    case 'file':
    case 'dir':
      return toPath(name, spec, origin, raw, cwd);
  }
}

export interface ParamSources {
  /** Values given on the command line or in the library call. */
  given: Record<string, unknown>;
  /** Per-task defaults from the params file; override the schema's defaults. */
  fileDefaults?: Record<string, unknown>;
  /** Where `fileDefaults` came from, for messages about its values. */
  paramsFile?: string | null;
  cwd: string;
  /** How messages name a given value: 'flag' (`--file-path`, the default) or 'argument' (library calls). */
  givenOrigin?: 'flag' | 'argument';
}

/**
 * Applies defaults (schema < params file < given), validates and normalises
 * every param. An omitted param and its default end up identical.
 */
export function resolveParams(schema: ParamsSchema, sources: ParamSources): Params {
  const out: Params = {};
  for (const name of Object.keys(sources.given)) {
    if (!(name in schema))
      throw new UsageError(`Unknown param "${name}"; known params: ${Object.keys(schema).join(', ') || 'none'}.`);
  }
  for (const [name, spec] of Object.entries(schema)) {
    let raw: unknown = sources.given[name];
    let origin: string = sources.givenOrigin ?? 'flag';
    if (raw === undefined && sources.fileDefaults && name in sources.fileDefaults) {
      raw = sources.fileDefaults[name];
      origin = sources.paramsFile ? `${PARAMS_FILE} ${sources.paramsFile}` : PARAMS_FILE;
    }
    if (raw === undefined && spec.default !== undefined) {
      raw = spec.default;
      origin = 'default';
    }
    if (raw === undefined) {
      if (spec.required)
        throw new UsageError(`--${flagName(name)} is required; pass --${flagName(name)} <${spec.type}>.`);
      if (spec.type === 'boolean') out[name] = false;
      else if (spec.list) out[name] = [];
      continue;
    }
    if (spec.list) {
      const items = Array.isArray(raw) ? raw : [raw];
      out[name] = items.map((item) => normalizeValue(name, spec, item, origin, sources.cwd));
    } else {
      if (Array.isArray(raw)) bad(name, origin, 'was given more than once; it takes one value');
      out[name] = normalizeValue(name, spec, raw, origin, sources.cwd);
    }
  }
  return out;
}
