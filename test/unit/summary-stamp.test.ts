import type { BigIntStats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settledMetaStamp } from '../../src/store/local/summary.js';

const NOW_MS = 1_764_658_800_123;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const stats = (mtimeNs: bigint, ctimeNs: bigint) =>
  ({ dev: 2049n, ino: 77n, size: 1025n, mtimeNs, ctimeNs }) as unknown as BigIntStats;

describe('a meta.yaml stamp the summary may keep', () => {
  it('is the content stamp (ctime included) of a file changed well before it was read', () => {
    const st = stats(ns(NOW_MS - 60_000) + 17n, ns(NOW_MS - 60_000) + 19n);
    expect(settledMetaStamp(st, NOW_MS)).toBe(`2049 77 1025 ${st.mtimeNs} ${st.ctimeNs}`);
  });

  it('is withheld for a file changed within 50 ms of the read (a same-tick edit could keep the stamp)', () => {
    expect(settledMetaStamp(stats(ns(NOW_MS - 60_000) + 1n, ns(NOW_MS - 20) + 1n), NOW_MS)).toBeNull();
    expect(settledMetaStamp(stats(ns(NOW_MS - 20) + 1n, ns(NOW_MS - 60_000) + 1n), NOW_MS)).toBeNull();
    expect(settledMetaStamp(stats(ns(NOW_MS - 80) + 1n, ns(NOW_MS - 80) + 1n), NOW_MS)).not.toBeNull();
  });

  it('is withheld for 2 s on a file system whose times are whole milliseconds or coarser', () => {
    expect(settledMetaStamp(stats(ns(NOW_MS - 1_500), ns(NOW_MS - 1_500)), NOW_MS)).toBeNull();
    expect(settledMetaStamp(stats(ns(NOW_MS - 2_500), ns(NOW_MS - 2_500)), NOW_MS)).not.toBeNull();
  });

  it('is withheld for a file whose times are ahead of the clock', () => {
    expect(settledMetaStamp(stats(ns(NOW_MS + 5_000) + 1n, ns(NOW_MS + 5_000) + 1n), NOW_MS)).toBeNull();
  });
});
