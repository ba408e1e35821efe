import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, MAX_EVENT_BYTES, eventLine, type CacheEvent } from '../../src/store/events.js';
import { REPO } from '../helpers/cli.js';

const WRITER = path.join(REPO, 'test', 'fixtures', 'append-events.mjs');

function startWriter(data: string, name: string, count: number | 'forever', cap?: number) {
  const child = spawn(process.execPath, [WRITER, data, name, String(count), ...(cap ? [String(cap)] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

const seq = (e: CacheEvent) => Number.parseInt(e.key, 16);

describe('the statistics log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cachex-events-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back what was appended, with --since', () => {
    const log = new EventLog(path.join(dir, 'data'));
    log.append({ event: 'miss', task: 'convert', module: 'tasks', key: 'a'.repeat(64), t: 1000, reason: 'x changed' });
    log.append({ event: 'stored', task: 'convert', module: 'tasks', key: 'a'.repeat(64), t: 2000, ms: 62, bytes: 54 });
    log.append({ event: 'hit', task: 'convert', module: 'tasks', key: 'a'.repeat(64), t: 3000, savedMs: 62 });
    const events = log.read();
    expect(events.map((e) => e.event)).toEqual(['miss', 'stored', 'hit']);
    expect(events[1]).toEqual({
      v: 1,
      t: 2000,
      event: 'stored',
      task: 'convert',
      module: 'tasks',
      key: 'aaaaaaaaaaaa',
      ms: 62,
      bytes: 54,
    });
    expect(log.read({ since: 2000 }).map((e) => e.event)).toEqual(['stored', 'hit']);
  });

  it('reads back recovery events with what was repaired, also those that belong to no entry', () => {
    const log = new EventLog(path.join(dir, 'data'));
    log.append({
      event: 'recovered',
      recovery: 'set-aside',
      task: 'convert',
      module: 'tasks',
      key: 'a'.repeat(64),
      t: 1,
    });
    log.append({
      event: 'recovered',
      recovery: 'leftover-swept',
      task: '',
      module: '',
      key: '',
      t: 2,
      reason: 'staging',
      bytes: 8192,
    });
    expect(log.read()).toEqual([
      { v: 1, t: 1, event: 'recovered', recovery: 'set-aside', task: 'convert', module: 'tasks', key: 'aaaaaaaaaaaa' },
      {
        v: 1,
        t: 2,
        event: 'recovered',
        recovery: 'leftover-swept',
        task: '',
        module: '',
        key: '',
        reason: 'staging',
        bytes: 8192,
      },
    ]);
  });

  it('keeps every line under MAX_EVENT_BYTES, however long the free text', () => {
    const long = 'é'.repeat(5000);
    const line = eventLine({ event: 'not-stored', task: long, module: long, key: 'b'.repeat(64), reason: long });
    expect(line.length).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(line.at(-1)).toBe(0x0a);
    expect(JSON.parse(line.toString()).event).toBe('not-stored');
  });

  it('skips a torn last line, and the next event after it is read whole', () => {
    const log = new EventLog(dir);
    log.append({ event: 'hit', task: 't', module: 'tasks', key: '1' });
    // What a short write on a full disk leaves: half a line, no newline.
    const half = eventLine({ event: 'hit', task: 't', module: 'tasks', key: '2' }).subarray(0, 30);
    appendFileSync(log.file, half);
    expect(log.read().map((e) => e.key)).toEqual(['1']);
    log.append({ event: 'miss', task: 't', module: 'tasks', key: '3' });
    expect(log.read().map((e) => e.key)).toEqual(['1', '3']);
  });

  it('forgets everything on zero()', () => {
    const log = new EventLog(dir);
    log.append({ event: 'hit', task: 't', module: 'tasks', key: '1' });
    log.zero();
    expect(log.read()).toEqual([]);
    log.zero();
  });

  it('never throws where the data folder cannot be written', () => {
    // A data folder below a regular file: every write fails with ENOTDIR (root ignores permission bits).
    const blocker = path.join(dir, 'a-file');
    appendFileSync(blocker, 'x');
    const log = new EventLog(path.join(blocker, 'data'));
    expect(() => log.append({ event: 'hit', task: 't', module: 'tasks', key: '1' })).not.toThrow();
    expect(log.read()).toEqual([]);
  });

  it('several processes appending at once: exactly every event is read, none torn', async () => {
    const writers = ['w1', 'w2', 'w3', 'w4'];
    const n = 2000;
    const runs = writers.map((w) => startWriter(dir, w, n));
    for (const run of runs) {
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
    }
    const text = readFileSync(path.join(dir, 'events.log'), 'utf8');
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBe(writers.length * n);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const events = new EventLog(dir).read();
    for (const w of writers) {
      const mine = events.filter((e) => e.task === w).map(seq);
      expect(mine).toEqual([...Array(n).keys()]);
    }
  });

  it('a writer killed with SIGKILL mid-stream loses at most the event it was writing; the log stays readable', async () => {
    const log = new EventLog(dir);
    const run = startWriter(dir, 'killed', 'forever');
    // Wait on the condition, not a fixed time: some thousands of events are in.
    for (let tries = 0; log.read().length < 2000; tries++) {
      expect(tries).toBeLessThan(600);
      await new Promise((r) => setTimeout(r, 50));
    }
    run.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    const text = readFileSync(log.file, 'utf8');
    // Whole lines only: the kernel finished or never began the killed write.
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe('');
    const events = log.read();
    expect(lines.length - 1).toBe(events.length);
    expect(events.map(seq)).toEqual([...Array(events.length).keys()]);
    log.append({ event: 'hit', task: 'after', module: 'tasks', key: 'f' });
    expect(log.read().at(-1)?.task).toBe('after');
  });

  it('stays under its cap while several processes write past it, keeping the newest events', async () => {
    const cap = 96 * 1024;
    const writers = ['c1', 'c2', 'c3'];
    const n = 1500; // about 150 bytes each: 4 to 5 times the cap
    const runs = writers.map((w) => startWriter(dir, w, n, cap));
    for (const run of runs) {
      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
    }
    const log = new EventLog(dir, { capBytes: cap });
    expect(log.size()).toBeLessThanOrEqual(cap);
    expect(log.size()).toBeGreaterThan(cap / 4);
    const events = log.read();
    expect(events.length).toBeGreaterThan(0);
    for (const w of writers) {
      // What is kept of a writer (if it finished early, maybe nothing) is its newest events, without gaps.
      const mine = events.filter((e) => e.task === w).map(seq);
      if (!mine.length) continue;
      expect(mine).toEqual([...Array(mine.length).keys()].map((i) => n - mine.length + i));
    }
    // The very last event written is kept.
    const newest = events.reduce((a, b) => (b.t >= a.t ? b : a));
    expect(seq(newest)).toBe(n - 1);
  });
});
