import path from 'node:path';
import { type HashProgress, onHashProgress } from '../key/digest.js';
import { formatBytes, formatDuration } from './format.js';
import { currentOverlay, freshLine, isInteractive, type Overlay, setOverlay } from './terminal.js';

/**
 * Plain progress lines (not a terminal: CI, a log) start once one piece of
 * work has lasted this long and come at most this often. CACHEX_PROGRESS_EVERY
 * (milliseconds) changes both; it exists for tests, which cannot wait 5 s.
 */
export const PLAIN_EVERY_MS = 5_000;

function plainEvery(env: NodeJS.ProcessEnv): number {
  const n = Number(env.CACHEX_PROGRESS_EVERY);
  return env.CACHEX_PROGRESS_EVERY && Number.isFinite(n) && n >= 0 ? n : PLAIN_EVERY_MS;
}

/** What a long hash is part of, from where the file lives: an input, an output being stored, a stored one checked. */
function describe(file: string, dataFolder: string | null, cwd: string): string {
  const inData = dataFolder === null ? '..' : path.relative(dataFolder, file);
  if (!inData.startsWith('..') && !path.isAbsolute(inData)) {
    const parts = inData.split(path.sep);
    const out = parts.indexOf('out');
    const rel = out >= 0 ? parts.slice(out).join('/') : inData;
    return parts[0] === 'cache' ? `checking stored ${rel}` : `storing ${rel}`;
  }
  const rel = path.relative(cwd, file);
  return `hashing ${!rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file}`;
}

const amount = (p: HashProgress) =>
  p.total > 0
    ? `${formatBytes(p.bytes)} of ${formatBytes(p.total)} (${Math.min(100, Math.floor((p.bytes * 100) / p.total))} %)`
    : formatBytes(p.bytes);
const rate = (p: HashProgress) => `${formatBytes(Math.round(p.rate))}/s`;

class ProgressLine implements Overlay {
  constructor(
    public text: string,
    private readonly stream: NodeJS.WriteStream,
  ) {}
  render(): string {
    // Kept inside the width: a wrapped line could not be erased with one carriage return.
    const room = Math.max(0, (this.stream.columns ?? 80) - 1);
    return this.text.length > room ? `${this.text.slice(0, Math.max(0, room - 1))}…` : this.text;
  }
}

/**
 * Shows long hashing (inputs before a run, outputs as they are stored, stored
 * outputs re-checked on a hit) on stderr: a line redrawn in place on a
 * terminal (an overlay, so it never overwrites task output and is erased when
 * the file is done), else a plain line after PLAIN_EVERY_MS and then at most
 * that often. Work done within 100 ms (a hit, a small input) shows nothing.
 */
export function showWorkProgress(enabled: boolean, cwd: string): { dataFolder(root: string): void } {
  // Known once the store is open (after the inputs are hashed): outputs are told apart from inputs by it.
  let root: string | null = null;
  const handle = { dataFolder: (folder: string) => void (root = path.resolve(folder)) };
  onHashProgress(undefined);
  if (!enabled) return handle;
  const stream = process.stderr;
  if (isInteractive(stream) && stream.columns) {
    let line: ProgressLine | null = null;
    let under: Overlay | null = null;
    onHashProgress((p) => {
      if (p.done) {
        if (line) setOverlay(under, stream); // back to the spinner that was there, if any
        line = null;
        return;
      }
      const text = `${describe(p.file, root, cwd)}  ${amount(p)}, ${rate(p)}`;
      if (!line) {
        under = currentOverlay();
        line = new ProgressLine(text, stream);
      } else line.text = text;
      setOverlay(line, stream);
    });
    return handle;
  }
  const every = plainEvery(process.env);
  let printed: { file: string; at: number } | null = null;
  onHashProgress((p) => {
    const what = describe(p.file, root, cwd);
    if (p.done) {
      if (printed?.file === p.file)
        stream.write(
          `${freshLine(stream)}cachex: ${what}: done, ${formatBytes(p.bytes)} in ${formatDuration(p.elapsedMs)}, ${rate(p)}\n`,
        );
      printed = null;
      return;
    }
    if (p.elapsedMs < every) return;
    const now = Date.now();
    if (printed?.file === p.file && now - printed.at < every) return;
    printed = { file: p.file, at: now };
    stream.write(
      `${freshLine(stream)}cachex: ${what}: ${amount(p)} after ${formatDuration(p.elapsedMs)}, ${rate(p)}\n`,
    );
  });
  return handle;
}
