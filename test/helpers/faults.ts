/**
 * Fault-injection helpers for the reliability suite: process groups to SIGKILL
 * a run together with its converter, mounts (tmpfs) for disk-full and
 * read-only stores, strace syscall injection, and store checks that do not
 * trust the code under test more than necessary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { CLI, REPO, type CliResult, type Workspace } from './cli.js';

export const RELIABILITY_CONFIG = path.join(REPO, 'test', 'fixtures', 'reliability.config.ts');

/** `CACHEX_SOAK=1` multiplies iteration counts by 20. */
export const SOAK = process.env.CACHEX_SOAK === '1' || process.env.CACHEX_SOAK === 'true' ? 20 : 1;

/** cachex with the reliability config. */
export function cx(args: string[]): string[] {
  return ['--config', RELIABILITY_CONFIG, ...args];
}

export interface Started {
  child: ReturnType<typeof spawn>;
  done: Promise<CliResult>;
  /** What the run printed so far. */
  output(): { stdout: string; stderr: string };
  /** SIGKILLs (or signals) the run and everything it started. */
  killGroup(signal?: NodeJS.Signals): void;
}

/**
 * Starts the CLI in its own process group (detached), so a kill reaches the
 * converter child too — like a CI runner killing a job.
 */
export function startGroup(
  ws: Workspace,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  wrapper: string[] = [],
): Started {
  return spawnGroup(ws, [...wrapper, process.execPath, CLI, ...args], env);
}

/** Starts any argv in its own process group, with the workspace's environment. */
export function spawnGroup(ws: Workspace, argv: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ws.dir,
    env: { ...ws.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    done,
    output: () => ({ stdout, stderr }),
    killGroup(signal = 'SIGKILL') {
      // cachex runs each command task in a process group of its own: reach those too, as a CI runner
      // killing a job's process tree does.
      for (const group of new Set([child.pid!, ...descendantGroups(child.pid!)])) {
        try {
          process.kill(-group, signal);
        } catch {
          /* already gone */
        }
      }
    },
  };
}

/** The process groups of every descendant of `root` (from /proc: parent PIDs and groups). */
export function descendantGroups(root: number): number[] {
  const parents = new Map<number, { ppid: number; pgrp: number }>();
  for (const name of list('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), { ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      /* gone */
    }
  }
  const groups = new Set<number>();
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid, pgrp }] of parents) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        groups.add(pgrp);
        grew = true;
      }
    }
  }
  return [...groups];
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T,
  timeoutMs = 20_000,
  what = 'condition',
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The lock folder of the only key of `task`, once it exists (its owner record is written with it). */
export function lockOf(ws: Workspace, task: string): string | undefined {
  const dir = path.join(ws.data, 'locks', 'tasks', task);
  const owner = list(dir).find((n) => n.endsWith('.owner.json'));
  return owner && path.join(dir, owner.replace(/\.owner\.json$/, '.lock'));
}

/** Staging folders of runs (not trash, set-aside entries, or one still being set up under `init-`). */
export function stagingDirs(ws: Workspace): string[] {
  return list(path.join(ws.data, 'tmp')).filter((n) => !/^(trash|corrupt|pruned|init)-/.test(n));
}

/** Every entry folder under cache/<module>/<task>/<key>. */
export function entryDirs(data: string): string[] {
  const found: string[] = [];
  const cache = path.join(data, 'cache');
  for (const module of list(cache))
    for (const task of list(path.join(cache, module)))
      for (const key of list(path.join(cache, module, task))) found.push(path.join(cache, module, task, key));
  return found;
}

/** A stable digest of a folder tree (paths, kinds, sizes, modes, link targets, contents). */
export function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of list(path.join(dir, rel))) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) hash.update(`l ${relPath} ${readlinkSync(full)}\n`);
      else if (st.isDirectory()) {
        hash.update(`d ${relPath} ${st.mode}\n`);
        walk(relPath);
      } else
        hash.update(
          `f ${relPath} ${st.size} ${st.mode} ${createHash('sha256').update(readFileSync(full)).digest('hex')}\n`,
        );
    }
  };
  if (existsSync(dir)) walk('');
  return hash.digest('hex');
}

export interface StoreCheck {
  checked: number;
  corrupt: { dir: string; file: string; reason: string }[];
}

/**
 * Checks every entry with the built store code (full re-hash). Used besides
 * `cachex verify` so the suite does not depend on one command for its oracle.
 */
export async function checkStore(data: string): Promise<StoreCheck> {
  const { loadEntry } = await import(pathToFileURL(path.join(REPO, 'dist', 'store', 'local', 'load.js')).href);
  const { Layout } = await import(pathToFileURL(path.join(REPO, 'dist', 'store', 'layout.js')).href);
  const layout = new Layout(data);
  const result: StoreCheck = { checked: 0, corrupt: [] };
  for (const dir of entryDirs(data)) {
    const [module, task, key] = dir.split(path.sep).slice(-3);
    result.checked++;
    const found = await loadEntry(layout, { module, task, key }, undefined, { rehashOutputs: true });
    if (found.status !== 'hit')
      result.corrupt.push({ dir, file: found.file ?? '', reason: found.reason ?? 'entry folder without meta.yaml' });
  }
  return result;
}

let verifyAvailable: boolean | undefined;

/** Whether `cachex verify` exists in this build (it is being written in parallel). */
export function hasVerify(ws: Workspace): boolean {
  verifyAvailable ??= ws.run(['verify', '--help']).code === 0;
  return verifyAvailable;
}

let pruneAvailable: boolean | undefined;
export function hasPrune(ws: Workspace): boolean {
  pruneAvailable ??= ws.run(['prune', '--help']).code === 0;
  return pruneAvailable;
}

/** `cachex verify --json`, parsed; null when the command is not there. */
export function verifyJson(
  ws: Workspace,
  extra: string[] = [],
): {
  code: number | null;
  report: { checked: number; corrupt: unknown[]; staging: unknown[]; staleLocks: unknown[] };
} | null {
  if (!hasVerify(ws)) return null;
  const r = ws.run(cx(['verify', '--json', ...extra]));
  return { code: r.code, report: JSON.parse(r.stdout) };
}

/** The lines cachex itself wrote as an error (`error: …`), without the task's output. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^error:/.test(l));
}

/** One `error:` sentence and no stack trace anywhere in cachex's own output. */
export function oneErrorSentence(stderr: string): boolean {
  const errors = errorLines(stderr);
  return errors.length === 1 && !/^\s+at /m.test(stderr) && !/\n\s*\n/.test(errors[0]);
}

// ---------------------------------------------------------------------------
// Capabilities: each test that needs one skips with a line saying why.

/**
 * `describe.skipIf(reason)(withReason(title, reason), …)`: when skipped, the
 * title says why, and one line on stderr says it too (never a silent pass).
 */
export function withReason(title: string, reason: string | null): string {
  if (!reason) return title;
  process.stderr.write(`skipped: ${title} — ${reason}\n`);
  return `${title} [skipped: ${reason}]`;
}

function succeeds(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

let mountReason: string | null | undefined;
/** Null when tmpfs mounts work here, else why not. */
export function cannotMount(): string | null {
  if (mountReason !== undefined) return mountReason;
  if (process.platform !== 'linux') return (mountReason = 'needs Linux tmpfs mounts');
  if (process.getuid?.() !== 0) return (mountReason = 'needs root to mount a small tmpfs');
  const dir = mkdtempSync(path.join(tmpdir(), 'cachex-mnt-probe-'));
  const ok = succeeds('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  if (ok) succeeds('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  return (mountReason = ok ? null : 'mount -t tmpfs is not permitted in this environment');
}

export function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs failed: ${r.stderr}`);
}

export function remount(dir: string, mode: 'ro' | 'rw'): void {
  const r = spawnSync('mount', ['-o', `remount,${mode}`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`remount ${mode} failed: ${r.stderr}`);
}

export function unmount(dir: string): void {
  for (let i = 0; i < 20; i++) {
    if (spawnSync('umount', [dir]).status === 0) return;
    spawnSync('sleep', ['0.2']);
  }
  spawnSync('umount', ['-l', dir]);
}

let straceReason: string | null | undefined;
/** Null when strace can trace and inject into node here, else why not. */
export function cannotStrace(): string | null {
  if (straceReason !== undefined) return straceReason;
  if (!succeeds('strace', ['-V'])) return (straceReason = 'strace is not installed (apt-get install strace)');
  if (!succeeds('strace', ['-f', '-o', '/dev/null', '-e', 'inject=getpid:error=EPERM', process.execPath, '-e', '0'])) {
    return (straceReason = 'ptrace is not permitted here (strace cannot attach)');
  }
  return (straceReason = null);
}

/**
 * Which call of rename (counted on cachex's main thread, as strace's `when=`
 * counts) puts the entry into cache/: found by tracing one run of `args`, whose
 * entry is then removed again. Input files should be older than a second and
 * digested once (a --dry-run) beforehand, so the digest cache adds no renames.
 */
export function commitRenameIndex(ws: Workspace, args: string[]): number {
  return renameIndex(ws, args, /, "[^"]*\/cache\/[^"]*"\) = 0$/, 'into cache/');
}

/**
 * Which call of rename on cachex's main thread matches `pattern` (a line of
 * strace's output), found by tracing one miss of `args`, whose entry is then
 * removed again (same preconditions as commitRenameIndex).
 */
export function renameIndex(ws: Workspace, args: string[], pattern: RegExp, what: string): number {
  const trace = ws.path(`rename-trace-${Date.now()}.txt`);
  const r = spawnSync('strace', ['-o', trace, '-e', 'trace=rename', process.execPath, CLI, ...args], {
    cwd: ws.dir,
    env: ws.env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`traced run failed: ${r.stderr}`);
  const renames = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('rename('));
  rmSync(trace, { force: true });
  rmSync(path.join(ws.data, 'cache'), { recursive: true, force: true });
  const index = renames.findIndex((l) => pattern.test(l));
  if (index < 0) throw new Error(`no rename ${what} in:\n${renames.join('\n')}`);
  return index + 1;
}

/** Starts `args` under strace, which SIGKILLs cachex at its `n`th rename (as renameIndex counts). */
export function killedAtRename(ws: Workspace, args: string[], n: number): Started {
  return startGroup(ws, args, {}, [
    'strace',
    '-o',
    '/dev/null',
    '-e',
    'trace=rename',
    '-e',
    `inject=rename:signal=SIGKILL:when=${n}`,
  ]);
}

let unshareReason: string | null | undefined;
/** Null when `unshare -fpu --mount-proc` (a simulated second machine) works. */
export function cannotUnshare(): string | null {
  if (unshareReason !== undefined) return unshareReason;
  if (process.getuid?.() !== 0) return (unshareReason = 'needs root for unshare -fpu --mount-proc');
  return (unshareReason = succeeds('unshare', ['-fpu', '--mount-proc', 'true'])
    ? null
    : 'unshare -fpu --mount-proc is not permitted here');
}

/**
 * The argv that runs the CLI "on another machine": its own PID namespace, and
 * its own host name unless sameHost (containers on one host), sharing this
 * machine's file system as a network file system would.
 */
export function onOtherMachine(args: string[], sameHost = false): string[] {
  const flags = sameHost ? '-fp' : '-fpu';
  const rename = sameHost ? '' : 'hostname machine-b && ';
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['unshare', flags, '--mount-proc', 'sh', '-c', `${rename}exec ${quoted}`];
}

let faketimeLib: string | null | undefined;
/** libfaketime (Debian's faketime package), multi-threaded flavour as Node needs; null when absent. */
function findFaketime(): string | null {
  if (faketimeLib !== undefined) return faketimeLib;
  for (const dir of list('/usr/lib')) {
    const lib = path.join('/usr/lib', dir, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(lib)) return (faketimeLib = lib);
  }
  return (faketimeLib = null);
}

/** Null when libfaketime works on node here, else why not. */
export function cannotFaketime(): string | null {
  const lib = findFaketime();
  if (!lib) return 'libfaketime is not installed (apt-get install faketime)';
  const probe = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], {
    env: { ...process.env, LD_PRELOAD: lib, FAKETIME: '+1d' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return Number(probe.stdout) - Date.now() > 23 * 3600_000 ? null : 'libfaketime does not move the clock of node here';
}

/**
 * Environment that runs a process under libfaketime with the clock offset
 * read from `offsetFile` on every call ("+1h", "-30m"…), so a test can make the
 * clock jump while the process runs. The monotonic clock stays real, as on a
 * machine whose wall clock is stepped (NTP, a person, a VM resumed).
 */
export function faketimeEnv(offsetFile: string): NodeJS.ProcessEnv {
  return {
    LD_PRELOAD: findFaketime() ?? '',
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

let runuserReason: string | null | undefined;
export function cannotRunAsNobody(): string | null {
  if (runuserReason !== undefined) return runuserReason;
  if (process.getuid?.() !== 0) return (runuserReason = 'needs root to switch to the nobody user');
  return (runuserReason = succeeds('runuser', ['-u', 'nobody', '--', 'true'])
    ? null
    : 'runuser -u nobody is not available');
}
