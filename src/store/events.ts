import {
  type Stats,
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { heldFd, release } from './held-appends.js';
import path from 'node:path';
import { makeDirs } from './make-dirs.js';

/**
 * The statistics log: one JSON line per lookup and per store step, in
 * DATA_FOLDER/events.log (and the previous half in events.log.1).
 *
 * Each event is one write(2) on a file opened with O_APPEND, so the kernel
 * places it at the end atomically: concurrent writers never interleave and a
 * killed process leaves either its whole line or none. Lines stay under
 * MAX_EVENT_BYTES (< PIPE_BUF, 4096) so the same holds on file systems and
 * pipes that only promise atomicity up to PIPE_BUF. A torn line (a short write
 * on a full disk, a power cut) is skipped by the reader and never swallows the
 * next line. Writing is best effort: statistics never fail a run.
 */

export const EVENTS_FILE = 'events.log';
export const MAX_EVENT_BYTES = 1024;
/** Default cap of both files together: about 40 000 events. */
export const DEFAULT_CAP_BYTES = 8 * 1024 * 1024;
/** A rotation lock older than this was left by a killed process. */
const STALE_LOCK_MS = 10_000;
/** Writers that append between a rotator's check and its rename may overshoot the half; this much is kept free for them. */
const ROTATE_HEADROOM = 16 * MAX_EVENT_BYTES;

export type EventKind =
  /** A lookup answered from the store. */
  | 'hit'
  /** A lookup found no entry (or a corrupt one); the task runs. */
  | 'miss'
  /** --force: the task runs whatever is stored. */
  | 'forced'
  /** A run's result was stored. */
  | 'stored'
  /** A run's result was not stored (`reason` says why). */
  | 'not-stored'
  /** The store repaired something (`recovery` says what): counted by `stats` for a fleet's operators. */
  | 'recovered';

/**
 * What a recovery was: an entry that failed its integrity check, one moved out
 * of cache/ for that, a dead or silent holder's lock broken, a crash leftover
 * (staging folder, swapped-out or set-aside folder, stale lock or temporary
 * owner file) removed, a swapped-out entry of a killed --force put back.
 */
export const RECOVERY_KINDS = [
  'corrupt-found',
  'set-aside',
  'lock-taken-over',
  'leftover-swept',
  'entry-restored',
] as const;
export type RecoveryKind = (typeof RECOVERY_KINDS)[number];

export interface CacheEvent {
  v: 1;
  /** When, in ms since the epoch. */
  t: number;
  event: EventKind;
  task: string;
  module: string;
  /** First 12 hex characters of the key. */
  key: string;
  /** hit: which tier answered. */
  tier?: 'local' | 'remote';
  /** hit: time to serve it; stored / not-stored: the run's duration. */
  ms?: number;
  /** hit: the stored run's duration, i.e. the time this hit saved. */
  savedMs?: number;
  /** hit: bytes of the entry's outputs; stored: bytes stored. */
  bytes?: number;
  /** miss: which key input changed (short form); not-stored: why; recovered: a detail (the leftover's kind). */
  reason?: string;
  /** recovered: what was repaired. */
  recovery?: RecoveryKind;
}

export type NewEvent = Omit<CacheEvent, 'v' | 't'> & { t?: number };

const EVENT_KINDS = new Set<string>(['hit', 'miss', 'forced', 'stored', 'not-stored', 'recovered']);

function clip(text: string | undefined, max: number): string | undefined {
  return text === undefined || text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The event as one line of at most MAX_EVENT_BYTES (free text is shortened to fit). */
export function eventLine(event: NewEvent): Buffer {
  // Fields in this order, each only when given (assignments: a line per hit is written by busy library loops).
  const full: CacheEvent = {
    v: 1,
    t: event.t ?? Date.now(),
    event: event.event,
    task: clip(event.task, 200)!,
    module: clip(event.module, 200)!,
    key: event.key.slice(0, 12),
  };
  if (event.tier) full.tier = event.tier;
  if (event.ms !== undefined) full.ms = Math.round(event.ms);
  if (event.savedMs !== undefined) full.savedMs = Math.round(event.savedMs);
  if (event.bytes !== undefined) full.bytes = event.bytes;
  if (event.reason !== undefined) full.reason = clip(event.reason, 300);
  if (event.recovery !== undefined) full.recovery = event.recovery;
  let line = Buffer.from(`${JSON.stringify(full)}\n`);
  // Multi-byte characters can still push it over: drop the free text rather than the event.
  if (line.length > MAX_EVENT_BYTES) {
    full.reason = undefined;
    full.task = clip(full.task, 40)!;
    full.module = clip(full.module, 40)!;
    line = Buffer.from(`${JSON.stringify(full)}\n`);
  }
  return line;
}

function isEvent(value: unknown): value is CacheEvent {
  const e = value as CacheEvent;
  return (
    Boolean(e) &&
    e.v === 1 &&
    typeof e.t === 'number' &&
    EVENT_KINDS.has(e.event) &&
    typeof e.task === 'string' &&
    typeof e.module === 'string'
  );
}

/** One line back to an event; a torn line glued to a whole one gives the whole one. */
function parseLine(line: string): CacheEvent | null {
  for (let start = 0; start >= 0; start = line.indexOf('{"v":', start + 1)) {
    try {
      const value = JSON.parse(line.slice(start));
      if (isEvent(value)) return value;
    } catch {
      /* torn: try from the next event start inside the line */
    }
  }
  return null;
}

export interface EventLogOptions {
  /** Both files together stay under this (default DEFAULT_CAP_BYTES; at least 64 kB). */
  capBytes?: number;
}

export class EventLog {
  readonly file: string;
  readonly previous: string;
  private readonly rotateAt: number;

  constructor(dataFolder: string, options: EventLogOptions = {}) {
    this.file = path.join(dataFolder, EVENTS_FILE);
    this.previous = `${this.file}.1`;
    const cap = Math.max(options.capBytes ?? DEFAULT_CAP_BYTES, 4 * ROTATE_HEADROOM);
    this.rotateAt = Math.floor(cap / 2) - ROTATE_HEADROOM;
  }

  /** Appends one event; never throws (a read-only or full store still runs tasks). */
  append(event: NewEvent): void {
    try {
      const size = this.write(eventLine(event));
      if (size >= this.rotateAt) this.rotate();
    } catch {
      /* statistics are best effort */
    }
  }

  private open(): number {
    try {
      return openSync(this.file, 'a', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      makeDirs(path.dirname(this.file));
      return openSync(this.file, 'a', 0o644);
    }
  }

  /**
   * One write(2) of the line on the log held open (held-appends.ts); returns the size of the file it went to.
   * The held file may have been rotated away by another process (it is then the older half, and full) or
   * removed (`stats --zero`, a deleted data folder): full, it is let go after this line; removed, the line is
   * written again into the file now at the path.
   */
  private write(line: Buffer): number {
    for (let attempt = 0; ; attempt++) {
      const fd = heldFd(this.file, '', () => this.open());
      let st: Stats;
      try {
        const written = writeSync(fd, line);
        // A short write (disk full) leaves a torn line: end it so the next event starts on a line of its own.
        if (written < line.length) writeSync(fd, '\n');
        st = fstatSync(fd);
      } catch (err) {
        release(this.file);
        throw err;
      }
      if (st.nlink === 0) {
        release(this.file);
        if (attempt === 0) continue;
      } else if (st.size >= this.rotateAt) release(this.file);
      return st.size;
    }
  }

  /** Moves the full half aside (replacing the older half); one process at a time, the others carry on appending. */
  private rotate(): void {
    const lock = `${this.file}.rotating`;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        /* gone meanwhile */
      }
      return;
    }
    try {
      if (statSync(this.file).size >= this.rotateAt) renameSync(this.file, this.previous);
    } finally {
      closeSync(fd);
      unlinkSync(lock);
    }
  }

  /** Every readable event, oldest first, optionally only those at or after `since` (ms since the epoch). */
  read(options: { since?: number } = {}): CacheEvent[] {
    const events: CacheEvent[] = [];
    for (const file of [this.previous, this.file]) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        const event = parseLine(line);
        if (event && (options.since === undefined || event.t >= options.since)) events.push(event);
      }
    }
    return events;
  }

  /** Bytes both files take now. */
  size(): number {
    let total = 0;
    for (const file of [this.previous, this.file]) {
      try {
        total += statSync(file).size;
      } catch {
        /* absent */
      }
    }
    return total;
  }

  /** Forgets every event (`cachex stats --zero`). */
  zero(): void {
    release(this.file);
    for (const file of [this.previous, this.file]) {
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
}
