import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PruneResult, PruneSelectors } from '../store/open.js';

/** The caps of the whole store (config `maxSize`, `pruneUnusedFor`, or CACHEX_MAX_SIZE), and how to prune. */
export interface StoreCaps {
  maxSizeBytes?: number;
  unusedForMs?: number;
  /** The local store's prune (the rules of `cachex prune`: busy and just-used entries stay). */
  prune: (sel: PruneSelectors) => Promise<PruneResult>;
  /** Bytes the store's entries take now (a walk of sizes, no integrity check). */
  measure: () => Promise<number>;
  /** Told once per prune when what is left is still over maxSize (all of it in use). */
  onStillOver?: (remainingBytes: number, maxSizeBytes: number) => void;
}

/** In the data folder: when the last automatic prune ran and the store's size then (an estimate in between). */
export const STAMP_FILE = 'auto-prune.json';
/** At most one automatic prune (and one full measure of the store) per this long. */
export const AUTO_PRUNE_EVERY_MS = 60_000;

interface Stamp {
  prunedAt: number;
  measuredAt: number;
  bytes: number;
}

function readStamp(file: string): Stamp {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Stamp;
    if (typeof s.prunedAt === 'number' && typeof s.measuredAt === 'number' && typeof s.bytes === 'number') return s;
  } catch {
    /* none yet, or torn: measure */
  }
  return { prunedAt: 0, measuredAt: 0, bytes: 0 };
}

function writeStamp(file: string, stamp: Stamp): void {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(stamp));
    renameSync(tmp, file);
  } catch {
    /* a read-only store keeps running tasks */
  }
}

/**
 * After a store step (never after a hit): when the store crossed maxSize, or
 * pruneUnusedFor is set, prune as `cachex prune --max-size/--unused-for` does,
 * at most once a minute across processes. Between full measures the size is
 * estimated from the last measure plus what was stored since. Never throws.
 */
export async function keepCaps(root: string, caps: StoreCaps | undefined, storedBytes: number): Promise<void> {
  if (!caps || (caps.maxSizeBytes === undefined && caps.unusedForMs === undefined)) return;
  const file = path.join(root, STAMP_FILE);
  const now = Date.now();
  const stamp = readStamp(file);
  const fresh = now - stamp.measuredAt < AUTO_PRUNE_EVERY_MS;
  const bytes = fresh ? stamp.bytes + storedBytes : null;
  const over = (n: number) => caps.maxSizeBytes !== undefined && n > caps.maxSizeBytes;
  const due = now - stamp.prunedAt >= AUTO_PRUNE_EVERY_MS;
  if (bytes !== null && !(due && (over(bytes) || caps.unusedForMs !== undefined))) {
    writeStamp(file, { ...stamp, bytes });
    return;
  }
  if (!due) return;
  try {
    const measured = bytes ?? (await caps.measure());
    if (!over(measured) && caps.unusedForMs === undefined) {
      writeStamp(file, { prunedAt: stamp.prunedAt, measuredAt: now, bytes: measured });
      return;
    }
    writeStamp(file, { prunedAt: now, measuredAt: now, bytes: measured });
    const result = await caps.prune({ maxSizeBytes: caps.maxSizeBytes, unusedForMs: caps.unusedForMs });
    writeStamp(file, { prunedAt: now, measuredAt: Date.now(), bytes: result.remainingBytes });
    if (caps.maxSizeBytes !== undefined && result.remainingBytes > caps.maxSizeBytes)
      caps.onStillOver?.(result.remainingBytes, caps.maxSizeBytes);
  } catch {
    /* the cap is kept on a later run; a run never fails for it */
  }
}
