import { afterEach, describe, expect, it } from 'vitest';
import { formatTimestamp, timestampFormatter } from '../../src/output/table.js';

/** What the cell said before the offset was cached: every field from the local-time getters. */
function naive(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const zoneBefore = process.env.TZ;
afterEach(() => {
  if (zoneBefore === undefined) delete process.env.TZ;
  else process.env.TZ = zoneBefore;
});

describe('table timestamps', () => {
  // Around each zone's changes of 2026 (and Lord Howe's half-hour one, Kathmandu's +5:45), minute by minute.
  const cases: [string, string[]][] = [
    ['Europe/Berlin', ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z']],
    ['America/New_York', ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z']],
    ['Australia/Lord_Howe', ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z']],
    ['Asia/Kathmandu', ['2026-06-01T00:00:00Z']],
    ['UTC', ['2026-12-03T00:00:00Z']],
  ];
  it.for(cases)(
    'in %s, every minute around a change of offset reads as the local-time getters say',
    ([zone, changes]) => {
      process.env.TZ = zone;
      // One formatter for all of them, as a table uses it: its cache of offsets is what is under test.
      const format = timestampFormatter();
      for (const change of changes) {
        const at = Date.parse(change);
        for (let m = -120; m <= 120; m++) {
          const date = new Date(at + m * 60_000 + 17_123);
          expect(format(date), `${zone} ${date.toISOString()}`).toBe(naive(date));
        }
      }
    },
  );

  it('a formatter made after a change of TZ follows it, and "-" stands for no date or an invalid one', () => {
    const date = new Date('2026-07-01T12:34:00Z');
    process.env.TZ = 'Europe/Berlin';
    expect(formatTimestamp(date)).toBe('2026-07-01 14:34');
    process.env.TZ = 'America/New_York';
    expect(formatTimestamp(date)).toBe('2026-07-01 08:34');
    expect(formatTimestamp(null)).toBe('-');
    expect(formatTimestamp(new Date(Number.NaN))).toBe('-');
  });
});
