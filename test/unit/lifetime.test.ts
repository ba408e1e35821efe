import { describe, expect, it } from 'vitest';
import { freshness } from '../../src/core/lifetime.js';
import { configDuration, taskLifetime } from '../../src/config/lifetime.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const made = (secondsAgo: number, exitCode = 0) => ({
  created: new Date(NOW - secondsAgo * 1000).toISOString(),
  exitCode,
});

describe('freshness', () => {
  it('is fresh within the max age, expired one second past it', () => {
    expect(freshness(made(3599), { maxAgeMs: 3_600_000 }, NOW)).toBe('fresh');
    expect(freshness(made(3601), { maxAgeMs: 3_600_000 }, NOW)).toBe('expired');
  });
  it('is stale past the max age within the stale window, then expired', () => {
    const life = { maxAgeMs: 60_000, staleMs: 60_000 };
    expect(freshness(made(61), life, NOW)).toBe('stale');
    expect(freshness(made(121), life, NOW)).toBe('expired');
  });
  it('judges failed entries by failureMaxAge, falling back to maxAge', () => {
    const life = { maxAgeMs: 3_600_000, failureMaxAgeMs: 1000 };
    expect(freshness(made(2, 1), life, NOW)).toBe('expired');
    expect(freshness(made(2, 0), life, NOW)).toBe('fresh');
    expect(freshness(made(2, 1), { maxAgeMs: 1000 }, NOW)).toBe('expired');
  });
  it('without a lifetime, or with an unreadable creation time, an entry is fresh', () => {
    expect(freshness(made(1e9), undefined, NOW)).toBe('fresh');
    expect(freshness({ created: 'yesterday', exitCode: 0 }, { maxAgeMs: 1 }, NOW)).toBe('fresh');
  });
});

describe('lifetime settings', () => {
  it('takes durations as text or milliseconds and refuses anything else in one sentence', () => {
    expect(configDuration('cfg', 'maxAge', '2h')).toBe(7_200_000);
    expect(configDuration('cfg', 'maxAge', 1500)).toBe(1500);
    expect(() => configDuration('cfg', 'maxAge', -1)).toThrow(/^cfg: `maxAge` must be a duration/);
    expect(() => configDuration('cfg', 'maxAge', 'soon')).toThrow(/got "soon"\.$/);
  });
  it('lets the call override the task, and is undefined when no max age is set', () => {
    expect(taskLifetime('t', { maxAge: '1d', staleWhileRevalidate: '1h' }, { maxAgeMs: 5 })).toEqual({
      maxAgeMs: 5,
      failureMaxAgeMs: undefined,
      staleMs: 3_600_000,
    });
    expect(taskLifetime('t', { staleWhileRevalidate: '1h' })).toBeUndefined();
  });
});
