/**
 * What a library hit records (issue 14, item 4): its line in the entry's
 * usage log and its event in the statistics log, written at the hit — each one
 * write(2) with O_APPEND on a descriptor kept open between hits
 * (store/held-appends.ts) — so a killed process loses at most the line it was
 * writing, and the file a held descriptor writes to is always the one at its
 * path: a replaced entry's new log, the events log after a rotation or after
 * `stats --zero`.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../src/index.js';
import { EventLog } from '../../src/store/events.js';
import { heldCount } from '../../src/store/held-appends.js';
import { REPO } from '../helpers/cli.js';

let dir: string;
let data: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachex-records-'));
  data = path.join(dir, 'data');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
const usageOf = (outDir: string | null): string[] => lines(path.join(path.dirname(outDir!), 'usage.log'));
const hitEvents = (): number => new EventLog(data).read().filter((e) => e.event === 'hit').length;

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a library disk hit records itself at the hit', () => {
  it('one usage line and one hit event per call, in the files before the call returns', async () => {
    const f = cache(
      async function counted({ n }: { n: number }) {
        return n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    expect(usageOf(f.outDir({ n: 1 }))).toHaveLength(0);
    for (let i = 1; i <= 5; i++) {
      await f({ n: 1 });
      // Read synchronously right after the call: nothing waits for a later turn of the event loop.
      expect(usageOf(f.outDir({ n: 1 }))).toHaveLength(i);
      expect(hitEvents()).toBe(i);
    }
    expect(heldCount()).toBeGreaterThan(0);
  });

  it("a replaced entry's hits go to the new entry's usage log", async () => {
    let calls = 0;
    const make = (memory: false | undefined) =>
      cache(
        async function replaced({ n }: { n: number }) {
          calls++;
          return n + calls;
        },
        { dataFolder: data, memory, module: 'records' },
      );
    const f = make(false);
    const other = make(false);
    await f({ n: 1 });
    await f({ n: 1 });
    await f({ n: 1 });
    const outDir = f.outDir({ n: 1 });
    expect(usageOf(outDir)).toHaveLength(2);
    await other.make({ force: true, n: 1 }); // a new entry folder, a new (empty) usage log
    expect(usageOf(outDir)).toHaveLength(0);
    expect(await f({ n: 1 })).toBe(3);
    expect(usageOf(outDir)).toHaveLength(1);
    await f({ n: 1 });
    expect(usageOf(outDir)).toHaveLength(2);
  });

  it('an events log removed while held (stats --zero, a deleted data folder) gets the next event', async () => {
    const f = cache(
      async function zeroed({ n }: { n: number }) {
        return n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    await f({ n: 1 });
    expect(hitEvents()).toBe(1);
    unlinkSync(path.join(data, 'events.log')); // as `cachex stats --zero` in another process
    await f({ n: 1 });
    expect(hitEvents()).toBe(1);
    rmSync(data, { recursive: true }); // the whole store, entry and all
    await f({ n: 1 }); // a miss: stored again
    await f({ n: 1 });
    expect(new EventLog(data).read().map((e) => e.event)).toEqual(['miss', 'stored', 'hit']);
  });

  it('an events log rotated away by another process while held: nothing is lost, the next events go to the new log', () => {
    const cap = 256 * 1024;
    const log = new EventLog(data, { capBytes: cap });
    const event = { task: 't', module: 'm', key: 'a'.repeat(64), event: 'hit' as const };
    log.append(event); // opens and holds events.log
    // Another process fills the log past its rotation size (~126 kB; a 256 kB cap rotates at 112 kB) and rotates
    // it (rename events.log → events.log.1).
    appendFileSync(
      log.file,
      `${JSON.stringify({ v: 1, t: 1, event: 'miss', task: 'o', module: 'm', key: 'b' })}\n`.repeat(2000),
    );
    renameSync(log.file, log.previous);
    log.append(event); // still written through the held descriptor: into events.log.1, which is full…
    log.append(event); // …so this one opens the new events.log
    expect(lines(log.file)).toHaveLength(1);
    expect(log.read().filter((e) => e.task === 't')).toHaveLength(3);
    expect(log.size()).toBeLessThanOrEqual(cap);
  });

  it('held files are let go about a second after the last hit', async () => {
    const f = cache(
      async function idle({ n }: { n: number }) {
        return n;
      },
      { dataFolder: data, memory: false },
    );
    await f({ n: 1 });
    await f({ n: 1 });
    expect(heldCount()).toBeGreaterThan(0);
    await until(() => heldCount() === 0, 'the held files to be closed', 10_000);
  });

  it('a process killed mid-loop leaves only whole lines, and the hits it counted in both logs', async () => {
    const child = spawn(process.execPath, [path.join(REPO, 'test', 'fixtures', 'lib-hit-loop.mjs')], {
      env: { ...process.env, DATA_FOLDER: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.resume();
    const ended = new Promise((resolve) => child.on('close', resolve));
    await until(() => stdout.includes('hitting\n'), 'the child to be hitting');
    child.kill('SIGKILL');
    await ended;
    const entries = path.join(data, 'cache', 'lib-hit-loop', 'hitLoop');
    let usage = 0;
    for (const key of readdirSync(entries)) {
      const file = path.join(entries, key, 'usage.log');
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.split('\n').filter(Boolean)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      usage += text.split('\n').filter(Boolean).length;
    }
    const text = readFileSync(path.join(data, 'events.log'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    const hits = hitEvents();
    expect(hits).toBeGreaterThan(200);
    // The usage line is written just before the hit event: a kill between the two leaves one more usage line.
    expect(usage - hits).toBeGreaterThanOrEqual(0);
    expect(usage - hits).toBeLessThanOrEqual(1);
    expect(statSync(path.join(data, 'events.log')).size).toBeGreaterThan(0);
  });
});
