/**
 * The golden-project fixture (test/fixtures/golden-project): a small project
 * whose tasks, library functions and input files cover the key rules. Copied
 * into a workspace so its keys can be computed (golden-keys.test.ts) and its
 * stored entries replayed (old-store.test.ts) under any absolute path.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO, type CliResult, type Workspace } from './cli.js';

export const GOLDEN_PROJECT = path.join(REPO, 'test', 'fixtures', 'golden-project');
export const LIBRARY_ENTRY = path.join(REPO, 'dist', 'index.js');

/**
 * Copies the project into `dir` and adds what git does not keep exactly:
 * file modes (the executable bit enters a dir's digest) and a symlink.
 */
export function copyGoldenProject(dir: string, from = GOLDEN_PROJECT): string {
  mkdirSync(dir, { recursive: true });
  cpSync(from, dir, { recursive: true });
  for (const file of ['in/a.txt', 'in/b.txt', 'in/tree/x.txt', 'in/tree/sub/y.txt'])
    chmodSync(path.join(dir, file), 0o644);
  chmodSync(path.join(dir, 'bin/tool.sh'), 0o755);
  writeFileSync(path.join(dir, 'in/tree/sub/run.sh'), '#!/bin/sh\necho run\n');
  chmodSync(path.join(dir, 'in/tree/sub/run.sh'), 0o755);
  symlinkSync('x.txt', path.join(dir, 'in/tree/link'));
  return dir;
}

/** The environment the golden keys were recorded with (declared env vars: one set, one unset). */
export function goldenEnv(ws: Workspace): void {
  ws.env.GOLDEN_MODE = 'fast';
  delete ws.env.GOLDEN_UNSET;
}

/** Runs `jobs` with at most `width` at a time (the machine has two cores). */
export async function inPool<T>(jobs: (() => Promise<T>)[], width = 3): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

/** Starts the CLI and waits for it. */
export function runAsync(ws: Workspace, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return ws.start(args, { cwd, env }).done;
}

/** `node lib.mjs <mode>` in the project, against the built library; its JSON output. */
export function runLibrary(
  ws: Workspace,
  project: string,
  mode: 'keys' | 'call',
  env: NodeJS.ProcessEnv = {},
): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['lib.mjs', mode], {
    cwd: project,
    env: { ...ws.env, CACHEX_ENTRY: LIBRARY_ENTRY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`lib.mjs ${mode} exited ${code}: ${stderr}`)),
    ),
  );
}
