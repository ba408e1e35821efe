import type { Stats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settledMetaStamp } from '../../src/store/local/summary.js';

const NOW_MS = 1_764_658_800_123;
/** Times as a plain stat gives them: milliseconds with a fraction on a file system that keeps finer times. */
const stats = (mtimeMs: number, ctimeMs: number) => ({ dev: 2049, ino: 77, size: 1025, mtimeMs, ctimeMs }) as Stats;

describe('a meta.yaml stamp the summary may keep', () => {
  it('is the content stamp (ctime included) of a file changed well before it was read', () => {
    const st = stats(NOW_MS - 60_000 + 0.017, NOW_MS - 60_000 + 0.019);
    expect(settledMetaStamp(st, NOW_MS)).toBe(`2049 77 1025 ${st.mtimeMs} ${st.ctimeMs}`);
  });

  it('is withheld for a file changed within 50 ms of the read (a same-tick edit could keep the stamp)', () => {
    expect(settledMetaStamp(stats(NOW_MS - 60_000 + 0.5, NOW_MS - 20 + 0.5), NOW_MS)).toBeNull();
    expect(settledMetaStamp(stats(NOW_MS - 20 + 0.5, NOW_MS - 60_000 + 0.5), NOW_MS)).toBeNull();
    expect(settledMetaStamp(stats(NOW_MS - 80 + 0.5, NOW_MS - 80 + 0.5), NOW_MS)).not.toBeNull();
  });

  it('is withheld for 2 s on a file system whose times are whole milliseconds or coarser', () => {
    expect(settledMetaStamp(stats(NOW_MS - 1_500, NOW_MS - 1_500), NOW_MS)).toBeNull();
    expect(settledMetaStamp(stats(NOW_MS - 2_500, NOW_MS - 2_500), NOW_MS)).not.toBeNull();
  });

  it('is withheld for a file whose times are ahead of the clock', () => {
    expect(settledMetaStamp(stats(NOW_MS + 5_000 + 0.5, NOW_MS + 5_000 + 0.5), NOW_MS)).toBeNull();
  });

  it('tells apart times a microsecond apart (a double keeps a quarter of one at this epoch)', () => {
    const a = settledMetaStamp(stats(NOW_MS - 60_000 + 0.001, NOW_MS - 60_000 + 0.001), NOW_MS);
    const b = settledMetaStamp(stats(NOW_MS - 60_000 + 0.002, NOW_MS - 60_000 + 0.002), NOW_MS);
    expect(a).not.toBeNull();
    expect(a).not.toBe(b);
  });
});
