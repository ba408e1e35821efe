import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/store/iso-time.js';

describe('isoTime', () => {
  it('prints what toISOString prints', () => {
    const edges = [
      0,
      1,
      999,
      86_399_999,
      86_400_000,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999), // a leap day of a 400-year leap year
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(2100, 2, 1), // 2100 is not a leap year
      Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      Date.UTC(2025, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    // Every day from 1970 to 2500, at a varying time of day; the differences collected and checked with
    // one expect (190 000 expect calls took 15 s of a loaded machine).
    const wrong: string[] = [];
    for (let day = 0, ms = 0; ms < Date.UTC(2500, 0, 1); day++) {
      ms = day * 86_400_000 + ((day * 7_919_123) % 86_400_000);
      const [got, want] = [isoTime(ms), new Date(ms).toISOString()];
      if (got !== want && wrong.push(`${ms}: ${got} ≠ ${want}`) >= 10) break;
    }
    expect(wrong).toEqual([]);
  });
});
