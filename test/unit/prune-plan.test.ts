import { describe, expect, it } from 'vitest';
import { planPrune, type PruneCandidate } from '../../src/store/local/prune.js';

const MIN = 60_000;
const NOW = 1_000 * MIN;

function entry(
  task: string,
  n: number,
  opts: { created: number; lastUsed?: number; bytes?: number; busy?: string },
): PruneCandidate {
  return {
    ref: { module: 'tasks', task, key: String(n).repeat(64).slice(0, 64) },
    bytes: opts.bytes ?? 100,
    created: NOW - opts.created * MIN,
    lastUsed: NOW - (opts.lastUsed ?? opts.created) * MIN,
    busy: opts.busy,
  };
}

const removedKeys = (plan: ReturnType<typeof planPrune>) => plan.remove.map((r) => r.candidate.ref.key[0]).sort();

describe('choosing what prune removes', () => {
  const a = entry('convert', 1, { created: 100, lastUsed: 5 });
  const b = entry('convert', 2, { created: 50 });
  const c = entry('potree', 3, { created: 10 });

  it('selects nothing without a selector', () => {
    expect(planPrune([a, b, c], { all: false }, NOW).remove).toEqual([]);
  });

  it('--older-than goes by creation time, not by use', () => {
    expect(removedKeys(planPrune([a, b, c], { olderThanMs: 40 * MIN }, NOW))).toEqual(['1', '2']);
  });

  it('--unused-for goes by last use', () => {
    expect(removedKeys(planPrune([a, b, c], { unusedForMs: 40 * MIN }, NOW))).toEqual(['2']);
  });

  it('both age selectors must match', () => {
    expect(removedKeys(planPrune([a, b, c], { olderThanMs: 40 * MIN, unusedForMs: 1 * MIN }, NOW))).toEqual(['1', '2']);
    expect(removedKeys(planPrune([a, b, c], { olderThanMs: 40 * MIN, unusedForMs: 30 * MIN }, NOW))).toEqual(['2']);
  });

  it('--max-size removes least recently used first until the scope fits', () => {
    // LRU order: b (50 min), c (10), a (5). 300 bytes, limit 150: b and c go.
    const plan = planPrune([a, b, c], { maxSizeBytes: 150 }, NOW);
    expect(plan.remove.map((r) => r.candidate.ref.key[0])).toEqual(['2', '3']);
    expect(plan.remove.every((r) => r.reasons.includes('max-size'))).toBe(true);
    expect(removedKeys(planPrune([a, b, c], { maxSizeBytes: 300 }, NOW))).toEqual([]);
  });

  it('--task alone removes every entry of that task, and scopes --max-size', () => {
    expect(removedKeys(planPrune([a, b, c], { task: 'convert' }, NOW))).toEqual(['1', '2']);
    expect(removedKeys(planPrune([a, b, c], { task: 'tasks/potree' }, NOW))).toEqual(['3']);
    expect(removedKeys(planPrune([a, b, c], { task: 'convert', maxSizeBytes: 100 }, NOW))).toEqual(['2']);
  });

  it('--keep never removes the newest N of each task', () => {
    expect(removedKeys(planPrune([a, b, c], { keep: 1 }, NOW))).toEqual(['1']);
    expect(removedKeys(planPrune([a, b, c], { all: true, keep: 1 }, NOW))).toEqual(['1']);
    expect(removedKeys(planPrune([a, b, c], { maxSizeBytes: 0, keep: 1 }, NOW))).toEqual(['1']);
  });

  it('a busy entry is skipped, and --max-size moves on to the next one', () => {
    const busy = { ...b, busy: 'a running command holds its key' };
    const plan = planPrune([a, busy, c], { maxSizeBytes: 150 }, NOW);
    expect(removedKeys(plan)).toEqual(['1', '3']);
    expect(plan.skipped.map((s) => s.reason)).toEqual(['a running command holds its key']);
  });
});
