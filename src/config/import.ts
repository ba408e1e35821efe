import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type CompiledModule, requireCompiled } from '../code-cache.js';
import { os } from '../lazy-builtins.js';
import * as configEntry from '../config-entry.js';
import { ConfigError } from '../errors.js';
import { userFrame } from '../user-frame.js';
import { cachedTransform, type Transform } from './transpile-cache.js';
import { pointAtTypeScript } from './ts-specifiers.js';

/**
 * Imports a config file (TypeScript or JavaScript) without a build step.
 * jiti is loaded lazily and keeps transpiled files in its own disk cache, so a
 * hit pays the transpile once per config edit.
 */
export async function importConfigModule(file: string): Promise<unknown> {
  const jiti = createConfigJiti();
  try {
    return await jiti.import(file, { default: true });
  } catch (err) {
    throw new ConfigError(`Could not load the config file ${file}: ${loadFailure(err)}; fix the file and try again.`, {
      cause: err,
    });
  } finally {
    jitiBundle?.save();
  }
}

/**
 * How the CLI loads the config (settings.ts runs the returned function under the load tracer): an
 * ES module by plain import() (esm-config.ts: no jiti and no babel — after an edit about half of
 * jiti's time; an unchanged one costs the module-hooks thread's start, some 15 ms more than jiti's
 * warm cache), anything else by jiti. jiti itself is loaded here, before the trace: its start reads
 * some 85 environment variables (std-env's CI detection) that say nothing about the config, and
 * were most of every saved config; the traced load still stamps jiti's files. The task worker keeps
 * importConfigModule: it needs no trace, and a module-hooks thread per function run would cost more
 * than jiti.
 */
export async function configLoader(file: string): Promise<() => Promise<unknown>> {
  const esm = await import('./esm-config.js');
  const jitiFiles = esm.isEsmConfig(file) ? null : loadJiti();
  return async () => {
    // Asked again under the trace, so that the package.json files that decided it are stamped.
    if (!esm.isEsmConfig(file)) {
      for (const loaded of jitiFiles ?? loadJiti()) fs.existsSync(loaded);
      return importConfigModule(file);
    }
    try {
      return await esm.importEsmConfig(file);
    } catch (err) {
      // Node 20's SyntaxError from import() says where only on a crash's stderr: jiti's parser says where.
      if (err instanceof SyntaxError) await importConfigModule(file);
      throw new ConfigError(
        `Could not load the config file ${file}: ${loadFailure(err)}; fix the file and try again.`,
        {
          cause: err,
        },
      );
    }
  };
}

/** jiti's bundle, compiled with a code cache (7 ms of every miss's CPU without); saved after a config load. */
let jitiBundle: CompiledModule | undefined;

/** jiti's entry. Its bundle is compiled first, from the code cache, where its entry's require() finds it. */
function requireJiti(): typeof import('jiti') {
  const require = createRequire(import.meta.url);
  if (!jitiBundle) {
    const dir = path.dirname(require.resolve('jiti/package.json'));
    try {
      jitiBundle = requireCompiled(path.join(dir, 'dist', 'jiti.cjs'));
    } catch {
      // A jiti laid out otherwise: its entry loads it as it always did.
    }
  }
  return require('jiti') as typeof import('jiti');
}

/** Loads jiti; the files it was loaded from. */
function loadJiti(): string[] {
  const require = createRequire(import.meta.url);
  requireJiti();
  const manifest = require.resolve('jiti/package.json');
  const dir = path.dirname(manifest) + path.sep;
  return [manifest, ...Object.keys(require.cache).filter((file) => file.startsWith(dir))];
}

/**
 * jiti, with its babel transform behind a cache keyed by content (transpile-cache.ts): jiti's
 * own cache is keyed by the file's path, so the same config in another folder — a CI job's
 * fresh checkout, a worktree — would load and run babel again.
 */
function createConfigJiti() {
  // require(), not import(): see src/cli/commander.ts — jiti is a large CommonJS bundle.
  const require = createRequire(import.meta.url);
  const { createJiti } = requireJiti();
  const manifest = require.resolve('jiti/package.json');
  const { version } = require(manifest) as { version: string };
  const babel = path.join(path.dirname(manifest), 'dist', 'babel.cjs');
  const transpile = cachedTransform(() => require(babel) as Transform, version, transpileCacheFolder);
  // jiti's own file cache is off: it would keep what pointAtTypeScript decided from the files
  // present at the first load. The content-keyed cache above keeps babel's output instead.
  const transform: Transform = (opts) => {
    const result = transpile(opts);
    if (result.error) return result;
    return { ...result, code: pointAtTypeScript(result.code, opts.filename, jiti.options.extensions ?? []) };
  };
  const jiti = createJiti(import.meta.url, {
    fsCache: false,
    // What `import … from 'cachex'` in a config file means: the light config entry (see
    // config-entry.ts), handed over as it is. As a file jiti would import it natively (an ES
    // module, or any file when jiti.import() is asked), starting the ES-module loader each time.
    virtualModules: { cachex: configEntry },
    interopDefault: true,
    moduleCache: false,
    transform: transform as NonNullable<import('jiti').JitiOptions['transform']>,
  });
  return jiti;
}

/**
 * The folder the transpile cache lives in: where jiti keeps its own (`jiti` in the temp folder,
 * as jiti picks for a loader without a node_modules folder beside it), created if need be;
 * false when it cannot be written, and nothing is cached.
 */
let cacheFolder: string | false | undefined;
function transpileCacheFolder(): string | false {
  if (cacheFolder !== undefined) return cacheFolder;
  const dir = path.join(os().tmpdir(), 'jiti');
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    cacheFolder = dir;
  } catch {
    cacheFolder = false;
  }
  return cacheFolder;
}

/**
 * Why the file did not load, with where: jiti reports a syntax error as
 * "ParseError: …\n <file>:<line>:<column>" (column counted from 0), an error
 * thrown while the file runs has it in its stack.
 */
function loadFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const [first, ...rest] = err.message.split('\n');
  const reason = first.replace(/^ParseError:\s*/, '').trim();
  const parsed = rest.join('\n').match(/:(\d+):(\d+)\s*$/);
  if (parsed) return `syntax error at line ${parsed[1]}, column ${Number(parsed[2]) + 1}: ${reason}`;
  const frame = userFrame(err.stack)?.match(/:(\d+):(\d+)\)?$/);
  return frame ? `${reason} (at line ${frame[1]}, column ${frame[2]})` : reason;
}
