import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/store/events.js';
import { REPO, Workspace, isOneSentence } from '../helpers/cli.js';

// The log is written here with the EventLog writer the run path uses, to set
// times days apart; run-insight.test.ts counts the events of real runs.
const HOUR = 3600_000;

function fill(data: string, now: number): void {
  const log = new EventLog(data);
  const key = 'c'.repeat(64);
  const at = (hoursAgo: number) => now - hoursAgo * HOUR;
  // convert: 1 miss (stored, 2 s), 3 hits saving 2 s each; 2 days ago another miss not stored.
  log.append({ event: 'miss', task: 'convert', module: 'tasks', key, t: at(48), reason: '--resolution changed' });
  log.append({
    event: 'not-stored',
    task: 'convert',
    module: 'tasks',
    key,
    t: at(48),
    ms: 500,
    reason: 'input changed while the task ran',
  });
  log.append({ event: 'miss', task: 'convert', module: 'tasks', key, t: at(5), reason: 'run function changed' });
  log.append({ event: 'stored', task: 'convert', module: 'tasks', key, t: at(5), ms: 2000, bytes: 54_000 });
  for (const h of [4, 3, 2])
    log.append({
      event: 'hit',
      task: 'convert',
      module: 'tasks',
      key,
      t: at(h),
      ms: 5,
      savedMs: 2000,
      bytes: 54_000,
      tier: 'local',
    });
  // potree: 1 forced run (stored), 1 remote hit.
  log.append({ event: 'forced', task: 'potree', module: 'tasks', key, t: at(1) });
  log.append({ event: 'stored', task: 'potree', module: 'tasks', key, t: at(1), ms: 90_000, bytes: 4_000_000 });
  log.append({
    event: 'hit',
    task: 'potree',
    module: 'tasks',
    key,
    t: at(0.5),
    ms: 40,
    savedMs: 90_000,
    tier: 'remote',
  });
}

describe('cachex stats', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = new Workspace('cachex-stats-');
  });
  afterEach(() => ws.cleanup());

  it('says there are no statistics yet, without a config file or a store', () => {
    const result = ws.run(['stats']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('No statistics yet: they are collected as tasks run.\n');
  });

  it('counts hits, misses, forced runs, hit rate, time saved and bytes stored per task and overall', () => {
    fill(ws.data, Date.now());
    const result = ws.run(['stats', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats.events).toBe(10);
    expect(stats.overall).toMatchObject({
      hits: 4,
      remoteHits: 1,
      misses: 2,
      forced: 1,
      savedMs: 96_000,
      stored: 2,
      storedBytes: 4_054_000,
      notStored: 1,
    });
    expect(stats.overall.hitRate).toBeCloseTo(4 / 6);
    expect(stats.tasks.map((t: { task: string }) => t.task)).toEqual(['convert', 'potree']);
    expect(stats.tasks[0]).toMatchObject({
      hits: 3,
      misses: 2,
      hitRate: 0.6,
      savedMs: 6000,
      storedBytes: 54_000,
      notStoredReasons: { 'input changed while the task ran': 1 },
    });
    expect(stats.tasks[1]).toMatchObject({ hits: 1, misses: 0, forced: 1, hitRate: 1, savedMs: 90_000 });

    const text = ws.run(['stats']).stdout;
    expect(text).toMatch(/^Cache statistics since \S+ \(10 events\)$/m);
    expect(text).toMatch(
      /^task\s+hits\s+misses\s+forced\s+hit rate\s+time saved\s+stored\s+bytes stored\s+not stored$/m,
    );
    expect(text).toMatch(/^convert\s+3\s+2\s+0\s+60\.0 %\s+6\.0s\s+1\s+54 kB\s+1$/m);
    expect(text).toMatch(/^potree\s+1\s+0\s+1\s+100\.0 %\s+1m30s\s+1\s+4\.0 MB\s+0$/m);
    expect(text).toMatch(/^total\s+4\s+2\s+1\s+66\.7 %\s+1m36s\s+2\s+4\.1 MB\s+1$/m);
    expect(text).toMatch(/^not stored: input changed while the task ran \(1\)$/m);
  });

  it('--since and --task narrow the window', () => {
    fill(ws.data, Date.now());
    const recent = JSON.parse(ws.run(['stats', '--since', '1d', '--json']).stdout);
    expect(recent.overall).toMatchObject({ hits: 4, misses: 1, notStored: 0 });
    const convert = JSON.parse(ws.run(['stats', '--task', 'convert', '--since', '210m', '--json']).stdout);
    expect(convert.tasks).toHaveLength(1);
    expect(convert.overall).toMatchObject({ hits: 2, misses: 0, savedMs: 4000 });
    expect(ws.run(['stats', '--task', 'nope']).stdout).toMatch(/^No statistics of task nope yet: /);
  });

  it('--zero forgets them', () => {
    fill(ws.data, Date.now());
    const result = ws.run(['stats', '--zero']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Statistics zeroed.\n');
    expect(existsSync(path.join(ws.data, 'events.log'))).toBe(false);
    expect(JSON.parse(ws.run(['stats', '--json']).stdout).events).toBe(0);
  });

  it('refuses a bad --since, and --zero with other options, with one sentence and exit 2', () => {
    for (const args of [
      ['--since', 'soon'],
      ['--zero', '--task', 'convert'],
    ]) {
      const result = ws.run(['stats', ...args]);
      expect(result.code, result.stderr).toBe(2);
      expect(isOneSentence(result.stderr), result.stderr).toBe(true);
    }
  });

  it('counts exactly the hits and misses that several processes appended at once', async () => {
    const writer = path.join(REPO, 'test', 'fixtures', 'append-events.mjs');
    const perWriter = 900; // every third a miss: 300 misses, 600 hits each
    const runs = ['a', 'b', 'c'].map(
      (name) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, [writer, ws.data, name, String(perWriter)], { stdio: 'ignore' });
          child.on('close', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0]);
    const stats = JSON.parse(ws.run(['stats', '--json']).stdout);
    expect(stats.overall).toMatchObject({ hits: 1800, misses: 900 });
    expect(stats.tasks.map((t: { hits: number; misses: number }) => [t.hits, t.misses])).toEqual([
      [600, 300],
      [600, 300],
      [600, 300],
    ]);
  });
});
