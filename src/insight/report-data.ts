import type { CacheEvent } from '../store/events.js';
import type { StoredEntry } from './entries.js';

/** What the HTML report shows, computed from the statistics log and the stored entries. */
export interface ReportData {
  generatedAt: string;
  /** Start of the window (ISO), null for all of the log. */
  since: string | null;
  totals: {
    hits: number;
    misses: number;
    hitRate: number | null;
    savedMs: number;
    entries: number;
    storeBytes: number;
  };
  /** Per UTC day with lookups: hits, misses and the hit rate in percent. */
  hitRateByDay: { day: string; hits: number; misses: number; rate: number }[];
  savedByTask: { task: string; savedMs: number; hits: number }[];
  sizeByTask: { task: string; bytes: number; entries: number }[];
  slowestMisses: { task: string; key: string; ms: number; at: string; stored: boolean }[];
  missReasons: { reason: string; count: number }[];
  largestEntries: { task: string; key: string; bytes: number; created: string | null; durationMs: number | null }[];
}

const TOP = 10;
const label = (task: string, module: string) => (module === 'tasks' ? task : `${module}/${task}`);

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export function reportData(
  events: readonly CacheEvent[],
  entries: readonly StoredEntry[],
  window: { since?: number; now?: number } = {},
): ReportData {
  const hits = events.filter((e) => e.event === 'hit');
  const misses = events.filter((e) => e.event === 'miss');
  const ran = events.filter((e) => e.event === 'stored' || e.event === 'not-stored');
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);

  const lookups = events.filter((e) => e.event === 'hit' || e.event === 'miss');
  const hitRateByDay = [...countBy(lookups, (e) => day(e.t))]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([d, list]) => {
      const h = list.filter((e) => e.event === 'hit').length;
      return { day: d, hits: h, misses: list.length - h, rate: Math.round((h / list.length) * 1000) / 10 };
    });

  const savedByTask = [...countBy(hits, (e) => label(e.task, e.module))]
    .map(([task, list]) => ({ task, savedMs: list.reduce((n, e) => n + (e.savedMs ?? 0), 0), hits: list.length }))
    .sort((a, b) => b.savedMs - a.savedMs || a.task.localeCompare(b.task));

  const sizeByTask = [...countBy(entries, (e) => label(e.task, e.module))]
    .map(([task, list]) => ({ task, bytes: list.reduce((n, e) => n + e.diskBytes, 0), entries: list.length }))
    .sort((a, b) => b.bytes - a.bytes || a.task.localeCompare(b.task));

  const slowestMisses = [...ran]
    .sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0))
    .slice(0, TOP)
    .map((e) => ({
      task: label(e.task, e.module),
      key: e.key,
      ms: e.ms ?? 0,
      at: new Date(e.t).toISOString(),
      stored: e.event === 'stored',
    }));

  const missReasons = [...countBy(misses, (e) => e.reason ?? 'no reason recorded')]
    .map(([reason, list]) => ({ reason, count: list.length }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
    .slice(0, TOP);

  const largestEntries = [...entries]
    .sort((a, b) => b.diskBytes - a.diskBytes)
    .slice(0, TOP)
    .map((e) => ({
      task: label(e.task, e.module),
      key: e.key.slice(0, 12),
      bytes: e.diskBytes,
      created: e.created,
      durationMs: e.durationMs,
    }));

  const looked = hits.length + misses.length;
  return {
    generatedAt: new Date(window.now ?? Date.now()).toISOString(),
    since: window.since === undefined ? null : new Date(window.since).toISOString(),
    totals: {
      hits: hits.length,
      misses: misses.length,
      hitRate: looked ? hits.length / looked : null,
      savedMs: hits.reduce((n, e) => n + (e.savedMs ?? 0), 0),
      entries: entries.length,
      storeBytes: entries.reduce((n, e) => n + e.diskBytes, 0),
    },
    hitRateByDay,
    savedByTask,
    sizeByTask,
    slowestMisses,
    missReasons,
    largestEntries,
  };
}
