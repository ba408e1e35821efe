import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a holder's heartbeat changes on its lock folder: proper-lockfile sets
 * the mtime (with the holder's clock, which may be far off ours) every 2 s,
 * which also moves the ctime (set by the file system's own clock). The inode
 * changes when the lock is released and taken again.
 */
export function heartbeatStamp(dir: string): string | null {
  try {
    const st = statSync(dir, { bigint: true });
    return `${st.ino} ${st.mtimeNs} ${st.ctimeNs}`;
  } catch {
    return null;
  }
}

/**
 * Watches one lock's heartbeat on the waiter's own monotonic clock: a holder
 * is silent when its lock has not changed for so long, whatever the clocks of
 * the two machines say (they may be hours apart, or jump).
 */
export class HeartbeatWatch {
  private stamp: string | null = null;
  private since = 0;

  /** Milliseconds since the stamp was last seen to change (0 when it just did). */
  unchangedFor(stamp: string): number {
    const now = performance.now();
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      this.since = now;
      return 0;
    }
    return now - this.since;
  }
}

const PROBE_PREFIX = '.clock-';

/** A probe file of fileSystemNow (left behind only by a process killed in the microseconds it exists). */
export function isClockProbe(name: string): boolean {
  return name.startsWith(PROBE_PREFIX);
}

/** The file system's clock, read once in a while from a probe file's ctime and carried on with our monotonic clock. */
const probes = new Map<string, { ctimeMs: number; at: number }>();
const PROBE_EVERY_MS = 10_000;

function fileSystemNow(dir: string): number | null {
  const known = probes.get(dir);
  const now = performance.now();
  if (known && now - known.at < PROBE_EVERY_MS) return known.ctimeMs + (now - known.at);
  const probe = path.join(dir, `${PROBE_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    writeFileSync(probe, '');
    const { ctimeMs } = statSync(probe);
    probes.set(dir, { ctimeMs, at: performance.now() });
    return ctimeMs;
  } catch {
    return null; // a read-only store: the caller decides without it
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * How long ago `file` last changed, in the file system's clock (its ctime
 * against a probe file's): for one-off judgements (prune, verify) that cannot
 * watch a heartbeat for seconds. No process clock enters it, so a skewed or
 * jumping clock on either machine does not matter. Null when unknown.
 */
export function ageInFileSystemClock(file: string, probeDir: string = path.dirname(file)): number | null {
  let ctimeMs: number;
  try {
    ctimeMs = statSync(file).ctimeMs;
  } catch {
    return null;
  }
  const now = fileSystemNow(probeDir);
  return now === null ? null : now - ctimeMs;
}
