import { statSync } from 'node:fs';
import path from 'node:path';
import { DigestCache } from '../key/digest.js';
import { statStamp } from '../key/stamp.js';

/** Digests already known in this process, by absolute path, with the stat stamp they were taken at. */
const known = new Map<string, { stamp: string; digest: string }>();

/**
 * A DigestCache that also remembers digests in memory, so a repeated library
 * call with a `file` param costs one stat instead of a read of the on-disk
 * digest cache. Same stamp and "racy clean" rule as DigestCache.
 */
export class MemoDigestCache extends DigestCache {
  override digest(file: string): string {
    const absolute = path.resolve(file);
    const st = statSync(absolute, { bigint: true });
    const stamp = statStamp(st, 'content');
    const memo = known.get(absolute);
    if (memo?.stamp === stamp) return memo.digest;
    const digest = super.digest(absolute);
    if (Date.now() - Number(st.mtimeMs) > 1000) known.set(absolute, { stamp, digest });
    else known.delete(absolute);
    return digest;
  }
}
