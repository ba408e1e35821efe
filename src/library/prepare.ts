import { minFreeSpace } from '../config/free-space.js';
import { UsageError } from '../errors.js';
import { computeKey, type KeyInputs } from '../key/inputs.js';
import type { EntryRef } from '../store/layout.js';
import { libraryStore } from './remote.js';
import type { LocalStore } from '../store/open.js';
import { resolveParams, type Params } from '../tasks/params.js';
import { recordable, unkeyable } from './args.js';
import { libraryProjectRoot, resolveDataFolder } from './data-folder.js';
import { MemoDigestCache } from './digests.js';
import type { ResolvedOptions } from './options.js';

/** One call, ready to look up: the arguments the function gets, what meta.yaml records, the key. */
export interface PreparedCall {
  store: LocalStore;
  /** What the function receives: normalised params plus the other arguments, untouched. */
  args: Record<string, unknown>;
  /** What the store records: the same, with ignored non-JSON values replaced by a description. */
  recorded: Params;
  key: string;
  inputs: KeyInputs;
  /** The memory layer's key: one process may use several data folders. */
  memoryKey: string;
  /** This call's entry (whether or not it is stored). */
  ref: EntryRef;
}

/** The store of a call (see data-folder.ts for the rule). */
export function dataFolderOf(options: ResolvedOptions): string {
  return resolveDataFolder(options.dataFolder);
}

export function prepareCall(options: ResolvedOptions, given: Record<string, unknown>): PreparedCall {
  const { task, schema } = options;
  const schemaGiven: Record<string, unknown> = {};
  const extras: Record<string, unknown> = { ...options.extraDefaults };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue; // omitted, like a missing flag: the default applies
    if (name in schema) schemaGiven[name] = value;
    else extras[name] = value;
  }
  for (const [name, spec] of Object.entries(schema)) {
    if (spec.required && schemaGiven[name] === undefined) {
      throw new UsageError(`${task.name}() needs the argument "${name}" (${spec.type}); pass { ${name}: … }.`);
    }
  }
  const params = resolveParams(schema, { given: schemaGiven, cwd: process.cwd(), givenOrigin: 'argument' });
  const recorded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(extras)) {
    if (task.ignore.includes(name)) {
      recorded[name] = recordable(value);
      continue;
    }
    const why = unkeyable(value, `the argument "${name}"`);
    if (why)
      throw new TypeError(
        `${task.name}(): ${why}, which cannot enter the key; pass JSON data (or declare a param, or list it in ignore).`,
      );
    recorded[name] = value;
  }
  Object.assign(recorded, params);
  const store = libraryStore(dataFolderOf(options), options.remote, {
    minFreeSpace: minFreeSpace({ minFreeSpace: options.minFreeSpace }),
  });
  const { key, inputs } = computeKey(task, recorded as Params, {
    digests: new MemoDigestCache(store.layout.digests),
    cwd: process.cwd(),
    projectRoot: libraryProjectRoot(),
  });
  return {
    store,
    args: { ...extras, ...params },
    recorded: recorded as Params,
    key,
    inputs,
    memoryKey: `${store.root}\0${key}`,
    ref: { module: task.module, task: task.name, key },
  };
}
