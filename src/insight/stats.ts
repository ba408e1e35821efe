import type { CacheEvent, RecoveryKind } from '../store/events.js';

/** Counts for one task, or for all of them. */
export interface TaskStats {
  task: string;
  module: string;
  hits: number;
  /** Hits answered by the remote tier (part of `hits`). */
  remoteHits: number;
  misses: number;
  forced: number;
  /** hits / (hits + misses); null before any lookup. Forced runs never looked. */
  hitRate: number | null;
  /** Sum of the stored run duration of every hit. */
  savedMs: number;
  /** Time spent running misses and forced runs. */
  ranMs: number;
  stored: number;
  storedBytes: number;
  notStored: number;
  /** Why runs were not stored, with counts. */
  notStoredReasons: Record<string, number>;
}

/** What the store repaired (corruptions found, entries set aside, locks taken over, leftovers swept, entries put back). */
export interface RecoveryCounts {
  corruptFound: number;
  setAside: number;
  locksTakenOver: number;
  leftoversSwept: number;
  entriesRestored: number;
}

const RECOVERY_FIELD: Record<RecoveryKind, keyof RecoveryCounts> = {
  'corrupt-found': 'corruptFound',
  'set-aside': 'setAside',
  'lock-taken-over': 'locksTakenOver',
  'leftover-swept': 'leftoversSwept',
  'entry-restored': 'entriesRestored',
};

export function noRecoveries(): RecoveryCounts {
  return { corruptFound: 0, setAside: 0, locksTakenOver: 0, leftoversSwept: 0, entriesRestored: 0 };
}

export interface StatsSummary {
  /** The window: the first and last event counted (ms since the epoch), null when none. */
  from: number | null;
  to: number | null;
  events: number;
  overall: TaskStats;
  tasks: TaskStats[];
  /** Store-wide repairs (a leftover belongs to no task; with a task filter, only that task's entries count). */
  recovery: RecoveryCounts;
}

function empty(task: string, module: string): TaskStats {
  return {
    task,
    module,
    hits: 0,
    remoteHits: 0,
    misses: 0,
    forced: 0,
    hitRate: null,
    savedMs: 0,
    ranMs: 0,
    stored: 0,
    storedBytes: 0,
    notStored: 0,
    notStoredReasons: {},
  };
}

function add(s: TaskStats, e: CacheEvent): void {
  switch (e.event) {
    case 'hit':
      s.hits++;
      if (e.tier === 'remote') s.remoteHits++;
      s.savedMs += e.savedMs ?? 0;
      break;
    case 'miss':
      s.misses++;
      break;
    case 'forced':
      s.forced++;
      break;
    case 'stored':
      s.stored++;
      s.storedBytes += e.bytes ?? 0;
      s.ranMs += e.ms ?? 0;
      break;
    case 'not-stored': {
      s.notStored++;
      s.ranMs += e.ms ?? 0;
      const reason = e.reason ?? 'unknown';
      s.notStoredReasons[reason] = (s.notStoredReasons[reason] ?? 0) + 1;
      break;
    }
  }
}

function finish(s: TaskStats): TaskStats {
  const looked = s.hits + s.misses;
  s.hitRate = looked ? s.hits / looked : null;
  return s;
}

/** Hits, misses, hit rate, time saved and bytes stored, per task and overall, from the statistics log. */
export function summarise(events: readonly CacheEvent[], filter: { task?: string } = {}): StatsSummary {
  const byTask = new Map<string, TaskStats>();
  const overall = empty('(all)', '');
  let from: number | null = null;
  let to: number | null = null;
  let counted = 0;
  const recovery = noRecoveries();
  for (const e of events) {
    if (filter.task && e.task !== filter.task) continue;
    counted++;
    from = from === null ? e.t : Math.min(from, e.t);
    to = to === null ? e.t : Math.max(to, e.t);
    if (e.event === 'recovered') {
      const field = e.recovery && RECOVERY_FIELD[e.recovery];
      if (field) recovery[field]++;
      continue;
    }
    const id = `${e.module}/${e.task}`;
    let s = byTask.get(id);
    if (!s) byTask.set(id, (s = empty(e.task, e.module)));
    add(s, e);
    add(overall, e);
  }
  const tasks = [...byTask.values()]
    .map(finish)
    .sort((a, b) => a.module.localeCompare(b.module) || a.task.localeCompare(b.task));
  return { from, to, events: counted, overall: finish(overall), tasks, recovery };
}
