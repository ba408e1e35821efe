import { describe, expect, it } from 'vitest';
import { reportData } from '../../src/insight/report-data.js';
import { summarise } from '../../src/insight/stats.js';
import type { CacheEvent } from '../../src/store/events.js';

const ev = (event: CacheEvent['event'], task: string, t: number, extra: Partial<CacheEvent> = {}): CacheEvent => ({
  v: 1,
  t,
  event,
  task,
  module: 'tasks',
  key: 'abcdef012345',
  ...extra,
});

describe('summarise', () => {
  it('counts recoveries store-wide, apart from the task rows; a task filter keeps only its entries', () => {
    const events = [
      ev('recovered', 'a', 1, { recovery: 'corrupt-found' }),
      ev('recovered', 'a', 2, { recovery: 'set-aside' }),
      ev('recovered', 'b', 3, { recovery: 'lock-taken-over' }),
      ev('recovered', '', 4, { recovery: 'leftover-swept', module: '', reason: 'staging' }),
      ev('recovered', 'a', 5, { recovery: 'entry-restored' }),
      ev('hit', 'a', 6),
    ];
    const all = summarise(events);
    expect(all.recovery).toEqual({
      corruptFound: 1,
      setAside: 1,
      locksTakenOver: 1,
      leftoversSwept: 1,
      entriesRestored: 1,
    });
    expect(all.tasks.map((t) => t.task)).toEqual(['a']);
    expect(all.overall.hits).toBe(1);
    expect(all.events).toBe(6);
    expect(summarise(events, { task: 'a' }).recovery).toEqual({
      corruptFound: 1,
      setAside: 1,
      locksTakenOver: 0,
      leftoversSwept: 0,
      entriesRestored: 1,
    });
  });

  it('has no hit rate before any lookup, and forced runs do not count as lookups', () => {
    const s = summarise([ev('forced', 'a', 1), ev('stored', 'a', 2, { ms: 10, bytes: 5 })]);
    expect(s.overall).toMatchObject({
      forced: 1,
      hits: 0,
      misses: 0,
      hitRate: null,
      stored: 1,
      storedBytes: 5,
      ranMs: 10,
    });
  });

  it('counts remote hits among hits and sums the time each hit saved', () => {
    const s = summarise([
      ev('hit', 'a', 1, { savedMs: 100, tier: 'remote' }),
      ev('hit', 'a', 2, { savedMs: 100 }),
      ev('miss', 'a', 3),
    ]);
    expect(s.overall).toMatchObject({ hits: 2, remoteHits: 1, misses: 1, savedMs: 200 });
    expect(s.overall.hitRate).toBeCloseTo(2 / 3);
    expect([s.from, s.to, s.events]).toEqual([1, 3, 3]);
  });

  it('keeps one row per module and task, sorted', () => {
    const s = summarise([ev('hit', 'b', 1), ev('hit', 'a', 2), { ...ev('hit', 'a', 3), module: 'lib' }]);
    expect(s.tasks.map((t) => `${t.module}/${t.task}`)).toEqual(['lib/a', 'tasks/a', 'tasks/b']);
  });
});

describe('reportData', () => {
  it('buckets lookups per UTC day and ranks reasons, slow runs and large entries', () => {
    const day = Date.UTC(2024, 4, 1);
    const data = reportData(
      [
        ev('miss', 'a', day + 1, { reason: 'x changed' }),
        ev('stored', 'a', day + 2, { ms: 300 }),
        ev('hit', 'a', day + 86_400_000, { savedMs: 300 }),
        ev('miss', 'a', day + 86_400_001, { reason: 'x changed' }),
        ev('not-stored', 'a', day + 86_400_002, { ms: 900, reason: 'exit 1' }),
      ],
      [
        {
          task: 'a',
          module: 'tasks',
          key: '1'.repeat(64),
          created: null,
          inputs: {} as never,
          params: {},
          durationMs: 300,
          diskBytes: 10,
        },
        {
          task: 'b',
          module: 'tasks',
          key: '2'.repeat(64),
          created: null,
          inputs: {} as never,
          params: {},
          durationMs: 5,
          diskBytes: 99,
        },
      ],
      { now: day },
    );
    expect(data.hitRateByDay).toEqual([
      { day: '2024-05-01', hits: 0, misses: 1, rate: 0 },
      { day: '2024-05-02', hits: 1, misses: 1, rate: 50 },
    ]);
    expect(data.missReasons).toEqual([{ reason: 'x changed', count: 2 }]);
    expect(data.slowestMisses.map((m) => [m.ms, m.stored])).toEqual([
      [900, false],
      [300, true],
    ]);
    expect(data.largestEntries.map((e) => e.task)).toEqual(['b', 'a']);
    expect(data.sizeByTask).toEqual([
      { task: 'b', bytes: 99, entries: 1 },
      { task: 'a', bytes: 10, entries: 1 },
    ]);
  });
});
