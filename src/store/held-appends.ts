import { closeSync } from 'node:fs';

/**
 * Append-only files (the statistics log, entries' usage logs) kept open
 * between appends, so a process that records many hits (the library) pays
 * one write(2) per line instead of open, write and close. Each line is still
 * one write on a file opened with O_APPEND, made at the hit: what other
 * processes see and what a killed process leaves are unchanged.
 *
 * A file is let go after IDLE_MS without an append (an unref'd timer: it
 * never keeps a program alive), when more than MAX_HELD are open, and when
 * its caller says the file it holds may no longer be the one at its path:
 * `tag` names what the descriptor was opened for (an entry's identity), and
 * another tag reopens it. While held, a file keeps its file system busy (a
 * read-only remount or an unmount gets EBUSY) for at most IDLE_MS after the
 * last hit.
 */
const IDLE_MS = 1000;
const MAX_HELD = 64;

interface Held {
  fd: number;
  tag: string;
  used: number;
}

const held = new Map<string, Held>();
let sweeper: NodeJS.Timeout | null = null;
let sweeping = true;

function startSweeper(): void {
  if (sweeper !== null || !sweeping || held.size === 0) return;
  sweeper = setInterval(sweep, IDLE_MS);
  sweeper.unref();
}

/**
 * Off: files are held without the idle timer, for a process that records one hit and exits (the
 * CLI's hit: its first timer would cost it 0.25 ms; exit closes the files). On again (the hit
 * handed over to the full CLI, which may run a task for hours), files held so far are swept as usual.
 */
export function sweepHeldAppends(on: boolean): void {
  sweeping = on;
  startSweeper();
}

function sweep(): void {
  const now = Date.now();
  for (const [file, h] of held) if (now - h.used >= IDLE_MS) release(file);
  if (held.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

/** The open descriptor of `file` for `tag`, opening it with `open` when none is held (or one for another tag). */
export function heldFd(file: string, tag: string, open: () => number): number {
  const now = Date.now();
  const known = held.get(file);
  if (known !== undefined) {
    if (known.tag === tag) {
      known.used = now;
      return known.fd;
    }
    release(file);
  }
  const fd = open();
  if (held.size >= MAX_HELD) release(held.keys().next().value as string);
  held.set(file, { fd, tag, used: now });
  startSweeper();
  return fd;
}

/** Closes the descriptor held for `file`, if any (after a write error, or when the file was moved or removed). */
export function release(file: string): void {
  const known = held.get(file);
  if (known === undefined) return;
  held.delete(file);
  try {
    closeSync(known.fd);
  } catch {
    /* already closed */
  }
}

/** Lets every held file go and stops the sweep (tests, which share this module's state). */
export function releaseAll(): void {
  for (const file of [...held.keys()]) release(file);
  if (sweeper) clearInterval(sweeper);
  sweeper = null;
}

/** How many files are held open now (tests). */
export function heldCount(): number {
  return held.size;
}
