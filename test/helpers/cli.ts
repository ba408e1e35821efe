import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopProcessesMentioning } from './processes.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'bin', 'cachex.js');
export const FAKE_CONVERTER = path.join(REPO, 'fixtures', 'fake-converter');
export const SAMPLE_PCD = path.join(REPO, 'fixtures', 'data.pcd');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A scratch folder per test: its own data folder, a log for the stand-in
 * converter, and an environment that makes output plain (CI, NO_COLOR).
 */
export class Workspace {
  readonly dir: string;
  readonly data: string;
  readonly fakeLog: string;
  env: NodeJS.ProcessEnv;

  constructor(prefix = 'cachex-test-') {
    this.dir = mkdtempSync(path.join(tmpdir(), prefix));
    this.data = path.join(this.dir, 'data');
    this.fakeLog = path.join(this.dir, 'calls.jsonl');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['DATA_FOLDER', 'POTREE_CONVERTER', 'FORCE_COLOR', 'CACHEX_DEBUG', 'NODE_OPTIONS'])
      delete env[name];
    this.env = {
      ...env,
      DATA_FOLDER: this.data,
      CI: 'true',
      NO_COLOR: '1',
      POTREE_CONVERTER: FAKE_CONVERTER,
      FAKE_LOG: this.fakeLog,
      FAKE_BYTES: '4096',
      COUNT_FILE: this.countFile,
    };
  }

  /** Where TS test tasks (see helpers/configs.ts) append one line per execution. */
  get countFile(): string {
    return path.join(this.dir, 'count.txt');
  }

  /** Number of times a counting TS task ran. */
  taskRuns(): number {
    if (!existsSync(this.countFile)) return 0;
    return readFileSync(this.countFile, 'utf8').split('\n').filter(Boolean).length;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  write(rel: string, content: string | Buffer): string {
    const file = this.path(rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  /** Copies fixtures/data.pcd, optionally with an extra comment line so its content (and key) differs. */
  samplePcd(rel = 'in/a.pcd', variant?: string): string {
    const file = this.path(rel);
    mkdirSync(path.dirname(file), { recursive: true });
    if (variant === undefined) cpSync(SAMPLE_PCD, file);
    else {
      const text = readFileSync(SAMPLE_PCD, 'utf8');
      writeFileSync(file, text.replace('\n', `\n# variant ${variant}\n`));
    }
    return file;
  }

  /** Writes a config file into the workspace and returns its path. */
  config(source: string, name = 'cachex.config.ts'): string {
    return this.write(name, source);
  }

  /** Runs the built CLI synchronously. */
  run(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): CliResult {
    const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? this.dir,
      env: { ...this.env, ...options.env },
      encoding: 'utf8',
      input: options.input ?? '',
      timeout: 120_000,
    });
    return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }

  /** Starts the CLI without waiting (for concurrency and kill tests). */
  start(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? this.dir,
      env: { ...this.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<CliResult>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done };
  }

  /** Number of times the stand-in converter ran. */
  converterRuns(): number {
    if (!existsSync(this.fakeLog)) return 0;
    return readFileSync(this.fakeLog, 'utf8').split('\n').filter(Boolean).length;
  }

  cleanup(): void {
    // A converter left running by a cachex killed mid-run would write into the folder after it is removed.
    stopProcessesMentioning(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when text has no stack trace and at most `lines` non-empty lines. */
export function isOneSentence(text: string, lines = 2): boolean {
  return !/^\s+at /m.test(text) && text.split('\n').filter((l) => l.trim()).length <= lines;
}
