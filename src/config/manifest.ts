import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../key/digest.js';
import { distFile } from '../package-root.js';
import { statStamp } from '../key/stamp.js';
import { Layout } from '../store/layout.js';
import { CACHEX_VERSION } from '../version.js';
import type { LoadTrace } from './load-trace.js';
import type { CachexConfig } from './types.js';
import { validateConfig } from './validate.js';

/**
 * A validated config saved in the data folder, so a hit needs neither jiti
 * nor the config's code. It holds, besides the config (each `run` function as
 * its source, which is all the key reads of it), what the load depended on:
 * a stamp of every file it read, stat'ed or listed, a digest of every
 * environment variable it read, the current folder if it asked for it. Any
 * difference, any damage, any doubt: no manifest, and the config loads as
 * before. Written as a temporary file renamed into place, so concurrent
 * writers leave one whole manifest.
 */
const FORMAT = 3;

interface Manifest {
  format: number;
  cachex: string;
  /** The cachex code that wrote it: a rebuilt or upgraded cachex may validate differently. */
  self: string;
  configFile: string;
  cwd: string | null;
  files: [string, string][];
  listed: [string, string][];
  /** Every variable read (all of them: '*'): those unset, and one digest of the values of those set. */
  env: { unset: string[]; set: string[]; digest: string } | { '*': string };
  /** The config without its `run` functions... */
  config: unknown;
  /** ...which are here, as source text, by task name. */
  runs: Record<string, string>;
}

/** What a load left for saving; null when the config cannot be saved faithfully as JSON. */
export interface Loaded {
  file: string;
  startedMs: number;
  trace: LoadTrace;
  config: unknown;
  runs: Record<string, string>;
}

/** The CLI's hit bundle, rebuilt with every change to cachex: a manifest counts only for the build that wrote it. */
const SELF = distFile('cli', 'cachex.cjs');

/**
 * The manifest's check against damage (a torn or bit-flipped file): a 53-bit hash of its bytes
 * (cyrb53's mixing, four bytes a step), which catches accidental damage as surely as SHA-256 and
 * costs a hit about 0.07 ms (a step per character cost 0.3 ms: a hit runs it once, interpreted;
 * SHA-256 in JavaScript, see digest.ts, 1.5 ms). It is no defence against a deliberate edit, which
 * needs write access to the data folder, where the entries are anyway. Words are read in the
 * machine's byte order: a data folder moved to a machine of the other order only loads its config once.
 */
export function manifestChecksum(bytes: Uint8Array): string {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
  let h1 = 0xdeadbeef ^ aligned.length;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < words.length; i++) {
    const c = words[i];
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  for (let i = words.length * 4; i < aligned.length; i++) {
    h1 = Math.imul(h1 ^ aligned[i], 2654435761);
    h2 = Math.imul(h2 ^ aligned[i], 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${(h2 >>> 0).toString(16).padStart(8, '0')}${(h1 >>> 0).toString(16).padStart(8, '0')}:${aligned.length}`;
}

/** The file's text: the manifest's JSON (one line: JSON.stringify leaves no newline in it), then its checksum. */
export function sealedManifest(body: string): string {
  return `${body}\n${manifestChecksum(Buffer.from(body, 'utf8'))}\n`;
}

/**
 * The JSON of a sealed manifest whose checksum holds; null otherwise. Read as text: readFileSync's
 * UTF-8 path is the one a hit has already warmed, its first read into a Buffer costs 0.3 ms.
 */
function unsealed(text: string): string | null {
  if (!text.endsWith('\n')) return null;
  const nl = text.lastIndexOf('\n', text.length - 2);
  if (nl < 0) return null;
  const body = text.slice(0, nl);
  return text.slice(nl + 1, -1) === manifestChecksum(Buffer.from(body, 'utf8')) ? body : null;
}

function manifestPath(dataFolder: string, configFile: string): string {
  return path.join(new Layout(dataFolder).configs, `${sha256(configFile).slice(0, 32)}.json`);
}

/** A file's stamp as the manifest keeps it; `null` (not saved) when it changed too recently to be told apart. */
function fileStamp(file: string, racyAfterNs: bigint | null): string | null {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!st) return 'absent';
  if (st.isDirectory()) return `dir ${statStamp(st, 'folder')}`;
  if (racyAfterNs !== null) {
    // A change within the clock's granularity of the load could leave the same stamp (git's "racy" files).
    const coarse = st.ctimeNs % 1_000_000n === 0n && st.mtimeNs % 1_000_000n === 0n;
    const limit = racyAfterNs - (coarse ? 2_000_000_000n : 50_000_000n);
    if (st.ctimeNs >= limit || st.mtimeNs >= limit) return null;
  }
  return statStamp(st, 'content');
}

function listing(dir: string): string {
  try {
    return sha256(readdirSync(dir).sort().join('\0'));
  } catch {
    return 'absent';
  }
}

function envDigests(names: LoadTrace['env'], env: NodeJS.ProcessEnv): Manifest['env'] {
  if (names === 'all') {
    const all = Object.keys(env)
      .sort()
      .map((n) => [n, env[n]]);
    return { '*': sha256(JSON.stringify(all)) };
  }
  const unset: string[] = [];
  const set: string[] = [];
  for (const name of names) (env[name] === undefined ? unset : set).push(name);
  return { unset, set, digest: sha256(JSON.stringify(set.map((n) => env[n]))) };
}

/**
 * The environment still gives what was saved: each variable unset is unset, and the values of
 * those set hash alike (one digest: a hit checks about a hundred names, and a digest is 0.05 ms).
 */
function sameEnv(saved: Manifest['env'], env: NodeJS.ProcessEnv): boolean {
  if ('*' in saved) return JSON.stringify(envDigests('all', env)) === JSON.stringify(saved);
  for (const name of saved.unset) if (env[name] !== undefined) return false;
  const values = saved.set.map((n) => env[n]);
  return !values.includes(undefined) && sha256(JSON.stringify(values)) === saved.digest;
}

/** Only JSON that reads back as the same value: plain objects and arrays, strings, finite numbers, booleans, null. */
function isFaithfulJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    if (Object.keys(value).length !== value.length) return false;
    return value.every(isFaithfulJson);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const name of Object.getOwnPropertyNames(value)) {
    const d = Object.getOwnPropertyDescriptor(value, name)!;
    if (!d.enumerable || !('value' in d) || !isFaithfulJson(d.value)) return false;
  }
  return true;
}

/** Splits a validated config into JSON and `run` sources; null when some part would not survive the trip. */
export function savable(config: CachexConfig, file: string, startedMs: number, trace: LoadTrace): Loaded | null {
  if (trace.sideEffects) return null;
  const runs: Record<string, string> = {};
  const tasks: Record<string, unknown> = {};
  if (!config.tasks || Object.getPrototypeOf(config.tasks) !== Object.prototype) return null;
  for (const [name, spec] of Object.entries(config.tasks)) {
    if (!spec || Object.getPrototypeOf(spec) !== Object.prototype) return null;
    const { run, ...rest } = spec as unknown as Record<string, unknown>;
    if (typeof run === 'function') runs[name] = String(run);
    tasks[name] = rest;
  }
  const plain = { ...config, tasks };
  if (Object.getPrototypeOf(config) !== Object.prototype || !isFaithfulJson(plain)) return null;
  return { file, startedMs, trace, config: JSON.parse(JSON.stringify(plain)), runs };
}

/** Saves the manifest of a load into the data folder (when it exists); never fails the run. */
export function saveManifest(dataFolder: string, loaded: Loaded): void {
  try {
    statSync(dataFolder);
    const racyAfterNs = BigInt(loaded.startedMs) * 1_000_000n;
    const files: [string, string][] = [];
    for (const file of loaded.trace.files) {
      const stamp = fileStamp(file, racyAfterNs);
      if (stamp === null) return;
      files.push([file, stamp]);
    }
    const self = fileStamp(SELF, null);
    const manifest: Manifest = {
      format: FORMAT,
      cachex: CACHEX_VERSION,
      self: self!,
      configFile: loaded.file,
      cwd: loaded.trace.cwd ? process.cwd() : null,
      files,
      listed: loaded.trace.listed.map((dir) => [dir, listing(dir)]),
      env: envDigests(loaded.trace.env, process.env),
      config: loaded.config,
      runs: loaded.runs,
    };
    const text = sealedManifest(JSON.stringify(manifest));
    const target = manifestPath(dataFolder, loaded.file);
    // Unchanged since the last load: leave it (a command that only reads the store writes nothing).
    if (sameText(target, text)) return;
    mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch {
    // A read-only or full data folder only costs the next hit a full config load.
  }
}

function sameText(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

/** A stand-in for a `run` function: the same source text (all the key reads), and never called on a hit. */
function standIn(source: string): () => never {
  const fn = () => {
    throw new Error('cachex: a task function from the config manifest was called; the config was not loaded');
  };
  fn.toString = () => source;
  return fn;
}

/**
 * The config saved for `configFile` in `dataFolder`, if every fact it depended
 * on still holds; null otherwise (absent, damaged, written by another cachex,
 * or anything changed).
 */
export function readManifest(dataFolder: string, configFile: string): CachexConfig | null {
  let manifest: Manifest;
  try {
    const body = unsealed(readFileSync(manifestPath(dataFolder, configFile), 'utf8'));
    if (body === null) return null;
    manifest = JSON.parse(body);
    if (manifest.format !== FORMAT || manifest.cachex !== CACHEX_VERSION || manifest.configFile !== configFile)
      return null;
    if (manifest.self !== fileStamp(SELF, null)) return null;
    if (manifest.cwd !== null && manifest.cwd !== process.cwd()) return null;
    for (const [file, stamp] of manifest.files) if (fileStamp(file, null) !== stamp) return null;
    for (const [dir, names] of manifest.listed) if (listing(dir) !== names) return null;
    if (!sameEnv(manifest.env, process.env)) return null;
    const config = manifest.config as CachexConfig;
    for (const [name, source] of Object.entries(manifest.runs)) {
      const spec = config.tasks?.[name] as unknown as Record<string, unknown> | undefined;
      if (!spec || typeof source !== 'string') return null;
      spec.run = standIn(source);
    }
    // Checked as a loaded config is: a manifest is never trusted further than the config it stands for.
    return validateConfig(config, configFile);
  } catch {
    return null;
  }
}
