import path from 'node:path';
import { onHashProgress } from '../key/digest.js';
import { onPlaceProgress } from '../store/materialise.js';
import { formatBytes, formatDuration } from './format.js';
import { currentOverlay, freshLine, isInteractive, type Overlay, setOverlay } from './terminal.js';

/**
 * Plain progress lines (not a terminal: CI, a log) start once one piece of
 * work has lasted this long and come at most this often. CACHEX_PROGRESS_EVERY
 * (milliseconds) changes both; it exists for tests, which cannot wait 5 s.
 */
export const PLAIN_EVERY_MS = 5_000;
/** A terminal's line is redrawn at most this often (placing many small files reports after each). */
const REDRAW_MS = 100;

function plainEvery(env: NodeJS.ProcessEnv): number {
  const n = Number(env.CACHEX_PROGRESS_EVERY);
  return env.CACHEX_PROGRESS_EVERY && Number.isFinite(n) && n >= 0 ? n : PLAIN_EVERY_MS;
}

/**
 * Test-only: CACHEX_TEST_PLACE_QUIET_MS replaces the 100 ms a placement must last before it
 * reports, so a test sees progress from inside one file's copy however fast the disk is.
 */
function placeQuiet(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.CACHEX_TEST_PLACE_QUIET_MS);
  return env.CACHEX_TEST_PLACE_QUIET_MS && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** One piece of long work as it is shown: which, what it is, how far. */
interface Work {
  id: string;
  what: string;
  bytes: number;
  total: number;
  elapsedMs: number;
  done: boolean;
}

const shown = (file: string, cwd: string) => {
  const rel = path.relative(cwd, file);
  return rel === '' ? '.' : !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
};

/** What a long hash is part of, from where the file lives: an input, an output being stored, a stored one checked. */
function hashing(file: string, dataFolder: string | null, cwd: string): string {
  const inData = dataFolder === null ? '..' : path.relative(dataFolder, file);
  if (!inData.startsWith('..') && !path.isAbsolute(inData)) {
    const parts = inData.split(path.sep);
    const out = parts.indexOf('out');
    const rel = out >= 0 ? parts.slice(out).join('/') : inData;
    return parts[0] === 'cache' ? `checking stored ${rel}` : `storing ${rel}`;
  }
  return `hashing ${shown(file, cwd)}`;
}

const amount = (w: Work) =>
  w.total > 0
    ? `${formatBytes(w.bytes)} of ${formatBytes(w.total)} (${Math.min(100, Math.floor((w.bytes * 100) / w.total))} %)`
    : formatBytes(w.bytes);
const rate = (w: Work) => `${formatBytes(w.elapsedMs > 0 ? Math.round((w.bytes * 1000) / w.elapsedMs) : 0)}/s`;

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

/** On a terminal: one line redrawn in place (an overlay, so never over task output), erased when the work is done. */
function onTerminal(stream: NodeJS.WriteStream): (w: Work) => void {
  let line: ProgressLine | null = null;
  let under: Overlay | null = null;
  let drawn = 0;
  return (w) => {
    if (w.done) {
      if (line) setOverlay(under, stream); // back to the spinner that was there, if any
      line = null;
      return;
    }
    const now = Date.now();
    if (line && now - drawn < REDRAW_MS) return;
    drawn = now;
    const text = `${w.what}  ${amount(w)}, ${rate(w)}`;
    if (!line) {
      under = currentOverlay();
      line = new ProgressLine(text, stream);
      // The task ended mid-line ("Downloading... "): its line is ended, as the status line would, never drawn over.
      const fresh = freshLine(stream);
      if (fresh) stream.write(fresh);
    } else line.text = text;
    setOverlay(line, stream);
  };
}

/** Elsewhere: a plain line once the work has lasted `every`, then at most once per `every`, and one when it is done. */
function plain(stream: NodeJS.WriteStream, every: number): (w: Work) => void {
  let printed: { id: string; at: number } | null = null;
  return (w) => {
    if (w.done) {
      if (printed?.id === w.id)
        stream.write(
          `${freshLine(stream)}cachex: ${w.what}: done, ${formatBytes(w.bytes)} in ${formatDuration(w.elapsedMs)}, ${rate(w)}\n`,
        );
      printed = null;
      return;
    }
    if (w.elapsedMs < every) return;
    const now = Date.now();
    if (printed?.id === w.id && now - printed.at < every) return;
    printed = { id: w.id, at: now };
    stream.write(
      `${freshLine(stream)}cachex: ${w.what}: ${amount(w)} after ${formatDuration(w.elapsedMs)}, ${rate(w)}\n`,
    );
  };
}

/**
 * Shows long work on stderr: hashing inputs before a run, hashing outputs as
 * they are stored, re-checking stored outputs on a hit, and placing outputs
 * (`--out`, `--publish`). Work done within 100 ms (a hit, a small input)
 * reports nothing, so it shows nothing.
 */
export function showWorkProgress(enabled: boolean, cwd: string): { dataFolder(root: string): void } {
  // Known once the store is open (after the inputs are hashed): outputs are told apart from inputs by it.
  let root: string | null = null;
  const handle = { dataFolder: (folder: string) => void (root = path.resolve(folder)) };
  onHashProgress(undefined);
  onPlaceProgress(undefined);
  if (!enabled) return handle;
  const stream = process.stderr;
  const show = isInteractive(stream) && stream.columns ? onTerminal(stream) : plain(stream, plainEvery(process.env));
  onHashProgress((p) => show({ ...p, id: p.file, what: hashing(p.file, root, cwd) }));
  onPlaceProgress(
    (p) => show({ ...p, id: p.target, what: `placing outputs in ${shown(p.target, cwd)}` }),
    placeQuiet(process.env),
  );
  return handle;
}
