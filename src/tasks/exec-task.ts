import { cpSync, existsSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, UsageError, storeErrorFrom } from '../errors.js';
import { sha256, type DigestCache } from '../key/digest.js';
import { displayName } from './name-bytes.js';
import { openRawPath, recoverArg } from './raw-argv.js';
import { realName } from './real-names.js';
import { workingFolder } from './working-folder.js';
import { KEY_FORMAT, keyOfInputs, type KeyInputs } from '../key/inputs.js';
import { keyWorkingFolder } from '../key/working-folder.js';
import { safeRelative } from '../store/place.js';
import { resolveExecutable } from './command.js';
import type { Params } from './params.js';
import type { TaskDef } from './task.js';
import { isSegment } from '../store/layout.js';

/** Entries of `cachex exec` live under cache/exec/<name>/. */
export const EXEC_MODULE = 'exec';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What the user typed: `cachex exec [--input P]… [--env V]… [--output P]… [--name N] -- CMD ARGS…`. */
export interface ExecRequest {
  argv: string[];
  inputs: string[];
  env: string[];
  outputs: string[];
  name?: string;
  cwd: string;
  /** What the working folder is keyed relative to (config/project-root.ts findKeyRoot); null: none found. */
  keyRoot: string | null;
  /** The data folder: an input folder must not contain it (the store changes under every run). */
  dataFolder: string;
}

/** Everything `runTask` needs for an exec, shaped like a prepared config run. */
export interface PreparedExec {
  task: TaskDef;
  params: Params;
  key: string;
  inputs: KeyInputs;
  /** Output paths relative to the cwd, normalised (`./dist/` → `dist`). */
  outputs: string[];
}

/** `--name`, else the command's basename made into one path segment (`./build.sh` → `build.sh`). */
export function execTaskName(argv0: string, name?: string): string {
  if (name !== undefined) {
    if (!isSegment(name))
      throw new UsageError(
        `--name ${JSON.stringify(name)} is not a valid name; use letters, digits, ".", "_" and "-" (no slashes or "..").`,
      );
    return name;
  }
  const base = path
    .basename(argv0)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '');
  return base || 'command';
}

/** An `--output` path as stored: relative, inside the cwd, never climbing out. */
export function outputPath(given: string): string {
  const rel = path.posix.normalize(given.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (given === '' || path.isAbsolute(given) || !safeRelative(rel)) {
    throw new UsageError(
      `--output ${JSON.stringify(given)} must be a path inside the current folder (relative, without ".."); outputs are restored to the same place.`,
    );
  }
  return rel;
}

function inputKey(
  given: string,
  req: ExecRequest,
  digests: DigestCache,
): { record: unknown; absolute: string; dir: boolean } {
  const { cwd } = req;
  if (given === '' || given.includes('\0'))
    throw new UsageError(`--input needs a path to a file or folder, got ${JSON.stringify(given)}.`);
  let absolute = path.resolve(workingFolder(cwd), given);
  let dir: boolean;
  try {
    dir = statSync(absolute).isDirectory();
  } catch {
    // A name that is not UTF-8 is opened by its bytes, through a /proc alias (raw-argv.ts).
    const alias = openRawPath(given, cwd);
    if (!alias) throw new UsageError(`--input ${displayName(given)} does not exist; check the path.`);
    absolute = alias;
    dir = statSync(alias).isDirectory();
  }
  const inside = path.relative(realName(absolute, cwd), req.dataFolder);
  if (dir && !inside.startsWith('..') && !path.isAbsolute(inside)) {
    throw new UsageError(
      `--input ${given} contains the data folder ${req.dataFolder}, which changes on every run; name the folders the command reads instead (for example --input src).`,
    );
  }
  // The path as written enters the key too: the command line names it, and swapping two inputs is different work.
  const shown = path.isAbsolute(given) ? realName(absolute, cwd) : path.normalize(recoverArg(given));
  return {
    record: {
      path: shown,
      type: dir ? 'dir' : 'file',
      digest: dir ? digests.treeDigest(absolute) : digests.digest(absolute),
    },
    absolute,
    dir,
  };
}

/**
 * The key of an unregistered command: its literal argv, the content of each
 * `--input`, the value digest of each `--env` variable, the executable's
 * content, the declared outputs and the working folder relative to the
 * project root (relative, so CI machines with different checkout paths share
 * entries; see key/working-folder.ts).
 */
export function prepareExec(req: ExecRequest, digests: DigestCache): PreparedExec {
  if (!req.argv.length || req.argv[0] === '')
    throw new UsageError('Name the command after -- (cachex exec [--input PATH]… -- CMD ARGS…).');
  const name = execTaskName(req.argv[0], req.name);
  for (const v of req.env)
    if (!ENV_NAME.test(v))
      throw new UsageError(
        `--env ${JSON.stringify(v)} is not an environment variable name; use letters, digits and "_".`,
      );
  const outputs = [...new Set(req.outputs.map(outputPath))];
  let executable: string;
  try {
    executable = resolveExecutable(name, req.argv[0], req.cwd);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new UsageError(
      `The command ${JSON.stringify(req.argv[0])} was not found or is not executable; check its name or PATH.`,
    );
  }
  const files: string[] = [];
  const dirs: string[] = [];
  const inputRecords = req.inputs.map((given) => {
    const { record, absolute, dir } = inputKey(given, req, digests);
    (dir ? dirs : files).push(absolute);
    return record;
  });
  const envNames = [...new Set(req.env)].sort();
  const inputs: KeyInputs = {
    format: KEY_FORMAT,
    module: EXEC_MODULE,
    task: name,
    kind: 'exec',
    version: null,
    command: req.argv,
    workingFolder: keyWorkingFolder(req.cwd, req.keyRoot),
    executable: { path: executable, digest: digests.digest(executable) },
    params: { inputs: inputRecords, outputs },
    env: Object.fromEntries(envNames.map((v) => [v, process.env[v] === undefined ? null : sha256(process.env[v]!)])),
  };
  const task: TaskDef = {
    name,
    module: EXEC_MODULE,
    kind: 'exec',
    version: null,
    // Typed so that runTask stamps the inputs before and after the run (a changed input is not stored).
    params: { input: { type: 'file', list: true }, inputDir: { type: 'dir', list: true } },
    ignore: [],
    env: envNames,
    cacheFailures: false,
    outputs,
    command: req.argv,
  };
  const params: Params = { argv: req.argv, input: files, inputDir: dirs, env: envNames, output: outputs };
  return { task, params, key: keyOfInputs(inputs), inputs, outputs };
}

/** After a successful run: copies each declared output from the cwd into the entry's out/ under the same path. */
export function collectOutputs(cwd: string, outputs: string[], outDir: string): void {
  for (const rel of outputs) {
    const source = path.join(cwd, rel);
    if (!existsSync(source) && !isSymlink(source)) continue; // runTask reports the missing output and does not store
    try {
      cpSync(source, path.join(outDir, rel), {
        recursive: true,
        verbatimSymlinks: true,
        preserveTimestamps: true,
        errorOnExist: true,
      });
    } catch (err) {
      throw storeErrorFrom(err, `copying the output ${rel} into the entry`);
    }
  }
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
