import type { ParamsSchema } from '../config/types.js';
import { nearestName } from '../config/nearest.js';
import { validateParam } from '../config/validate.js';
import { ConfigError } from '../errors.js';
import { sha256 } from '../key/digest.js';
import type { TaskDef } from '../tasks/task.js';
import { sanitiseSegment } from './caller.js';
import { isPlainObject } from './args.js';
import type { CacheOptions, CachableFunction } from './types.js';
import { isSegment } from '../store/layout.js';
import type { Lifetime } from '../core/lifetime.js';
import { configDuration, taskLifetime } from '../config/lifetime.js';
import { configSize } from '../config/caps.js';
import { parseMinFreeSpace } from '../config/free-space.js';
import type { RemoteConfig } from '../store/remote/settings.js';

const REMOTE_OPTIONS = new Set(['signing', 'namespace', 'lease', 'maxArtifactSize']);

function remoteOf(remote: unknown): RemoteConfig | false | undefined {
  if (remote === undefined || remote === false) return remote;
  if (!isPlainObject(remote)) wrong('`remote` must be false or { signing, namespace, lease, maxArtifactSize }');
  const r = remote as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (REMOTE_OPTIONS.has(k)) continue;
    const near = nearestName(k, REMOTE_OPTIONS);
    wrong(`unknown remote option "${k}"${near ? ` (did you mean "${near}"?)` : ''}`);
  }
  for (const k of ['signing', 'lease'])
    if (r[k] !== undefined && typeof r[k] !== 'boolean') wrong(`\`remote.${k}\` must be true or false`);
  if (r.namespace !== undefined && typeof r.namespace !== 'string') wrong('`remote.namespace` must be a string');
  if (r.maxArtifactSize !== undefined && (typeof r.maxArtifactSize !== 'number' || !(r.maxArtifactSize > 0)))
    wrong('`remote.maxArtifactSize` must be a positive number of bytes');
  return r as RemoteConfig;
}

const KNOWN = new Set([
  'name',
  'module',
  'version',
  'defaults',
  'ignore',
  'params',
  'memory',
  'dataFolder',
  'streamThreshold',
  'maxAge',
  'staleWhileRevalidate',
  'minFreeSpace',
  'remote',
  'maxSize',
  'pruneUnusedFor',
]);

export const DEFAULT_MEMORY = { maxBytes: 64 * 1024 * 1024, maxEntries: 1000 };
export const DEFAULT_STREAM_THRESHOLD = 64 * 1024 * 1024;

/** Everything `cache()` decided once, at wrap time. */
export interface ResolvedOptions {
  task: TaskDef;
  /** The schema with `defaults` folded into each param's own default. */
  schema: ParamsSchema;
  /** Defaults of arguments outside the schema. */
  extraDefaults: Record<string, unknown>;
  memory: { maxBytes: number; maxEntries: number } | null;
  dataFolder: string | undefined;
  streamThreshold: number;
  lifetime: Lifetime | undefined;
  /** As given (checked here); the environment may override it per call (config/free-space.ts). */
  minFreeSpace: number | string | undefined;
  /** false: local only; otherwise the remote section the CLI reads from its config. */
  remote: RemoteConfig | false | undefined;
  /** The store's caps as the config would give them (checked here, at wrap time). */
  caps: { maxSize?: number; pruneUnusedFor?: number };
}

function wrong(problem: string): never {
  throw new TypeError(`cache(): ${problem}.`);
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    wrong(`${name} must be a number of 0 or more, got ${String(value)}`);
  return value;
}

function memoryOf(memory: CacheOptions['memory']): ResolvedOptions['memory'] {
  if (memory === false) return null;
  if (memory === undefined) return { ...DEFAULT_MEMORY };
  if (!isPlainObject(memory as unknown)) wrong('`memory` must be false or { maxBytes, maxEntries }');
  for (const k of Object.keys(memory))
    if (k !== 'maxBytes' && k !== 'maxEntries') wrong(`unknown memory option "${k}"; use maxBytes and maxEntries`);
  return {
    maxBytes: memory.maxBytes === undefined ? DEFAULT_MEMORY.maxBytes : count(memory.maxBytes, 'memory.maxBytes'),
    maxEntries:
      memory.maxEntries === undefined ? DEFAULT_MEMORY.maxEntries : count(memory.maxEntries, 'memory.maxEntries'),
  };
}

function schemaOf(params: ParamsSchema | undefined, defaults: Record<string, unknown>, name: string): ParamsSchema {
  if (params === undefined) return {};
  if (!isPlainObject(params as unknown)) wrong('`params` must be an object of param specs, as in a config task');
  const schema: ParamsSchema = {};
  for (const [param, spec] of Object.entries(params)) {
    try {
      validateParam(`cache(): ${name}, param "${param}"`, param, spec);
    } catch (err) {
      if (err instanceof ConfigError) throw new TypeError(err.message);
      throw err;
    }
    // A default given in `defaults` wins over the spec's own, and makes the param optional.
    schema[param] = param in defaults ? { ...spec, default: defaults[param], required: false } : spec;
  }
  return schema;
}

function capsOf(options: CacheOptions, name: string): ResolvedOptions['caps'] {
  try {
    return {
      maxSize: configSize(`cache(): ${name}`, 'maxSize', options.maxSize),
      pruneUnusedFor: configDuration(`cache(): ${name}`, 'pruneUnusedFor', options.pruneUnusedFor),
    };
  } catch (err) {
    if (err instanceof ConfigError) throw new TypeError(err.message);
    throw err;
  }
}

function lifetimeOf(options: CacheOptions, name: string): Lifetime | undefined {
  try {
    return taskLifetime(`cache(): ${name}`, options);
  } catch (err) {
    if (err instanceof ConfigError) throw new TypeError(err.message);
    throw err;
  }
}

/** Checks the options of `cache()` and fixes what every call shares: the task, its schema and limits. */
export function resolveOptions(fn: CachableFunction, options: CacheOptions, defaultModule: string): ResolvedOptions {
  if (typeof fn !== 'function') wrong(`expects a function to cache, got ${typeof fn}`);
  if (!isPlainObject(options as unknown)) wrong('options must be a plain object');
  for (const k of Object.keys(options)) {
    if (KNOWN.has(k)) continue;
    const near = nearestName(k, KNOWN);
    wrong(
      near
        ? `unknown option "${k}" (did you mean "${near}"?)`
        : `unknown option "${k}"; known options: ${[...KNOWN].join(', ')}`,
    );
  }

  let name = options.name;
  if (name === undefined) {
    if (!fn.name) wrong('an anonymous function needs a name; pass { name: "..." }');
    name = sanitiseSegment(fn.name);
    if (!name) wrong(`the function name "${fn.name}" cannot name a folder; pass { name: "..." }`);
  } else if (typeof name !== 'string' || !isSegment(name)) {
    wrong(
      `name ${JSON.stringify(name)} may use letters, digits, ".", "_" and "-" only, starting with a letter or digit`,
    );
  }
  const module = options.module ?? defaultModule;
  if (typeof module !== 'string' || !isSegment(module))
    wrong(
      `module ${JSON.stringify(module)} may use letters, digits, ".", "_" and "-" only, starting with a letter or digit`,
    );
  const version = options.version ?? null;
  if (version !== null && typeof version !== 'number' && typeof version !== 'string')
    wrong('`version` must be a number or a string');
  const defaults = options.defaults ?? {};
  if (!isPlainObject(defaults)) wrong('`defaults` must be a plain object of argument values');
  const ignore = options.ignore ?? [];
  if (!Array.isArray(ignore) || !ignore.every((i) => typeof i === 'string'))
    wrong('`ignore` must be a list of argument names');
  if (options.dataFolder !== undefined && (typeof options.dataFolder !== 'string' || options.dataFolder === ''))
    wrong('`dataFolder` must be a folder path');

  if (options.minFreeSpace !== undefined) {
    try {
      parseMinFreeSpace(options.minFreeSpace, '`minFreeSpace`');
    } catch (err) {
      if (err instanceof ConfigError) wrong(err.message.replace(/\.$/, ''));
      throw err;
    }
  }

  const schema = schemaOf(options.params as ParamsSchema | undefined, defaults as Record<string, unknown>, name);
  const extraDefaults: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(defaults)) if (!(k in schema)) extraDefaults[k] = v;

  return {
    task: {
      name,
      module,
      kind: 'function',
      version,
      params: schema,
      ignore,
      env: [],
      cacheFailures: false,
      outputs: [],
      // Editing the function invalidates its entries, as for config tasks (and joblib).
      codeDigest: sha256(String(fn)),
    },
    schema,
    extraDefaults,
    memory: memoryOf(options.memory),
    dataFolder: options.dataFolder,
    streamThreshold:
      options.streamThreshold === undefined
        ? DEFAULT_STREAM_THRESHOLD
        : count(options.streamThreshold, 'streamThreshold'),
    lifetime: lifetimeOf(options, name),
    minFreeSpace: options.minFreeSpace,
    remote: remoteOf(options.remote),
    caps: capsOf(options, name),
  };
}
