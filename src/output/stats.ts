import type { RecoveryCounts, StatsSummary, TaskStats } from '../insight/stats.js';
import { formatBytes, formatDuration } from './format.js';
import { renderTable } from './table.js';

const rate = (s: TaskStats) => (s.hitRate === null ? '-' : `${(s.hitRate * 100).toFixed(1)} %`);

function row(label: string, s: TaskStats): string[] {
  return [
    label,
    String(s.hits),
    String(s.misses),
    String(s.forced),
    rate(s),
    formatDuration(s.savedMs),
    String(s.stored),
    formatBytes(s.storedBytes),
    String(s.notStored),
  ];
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The store's repairs in one line, or null when there were none. */
export function recoveryText(r: RecoveryCounts): string | null {
  if (!Object.values(r).some((n) => n > 0)) return null;
  return `recovery: ${[
    plural(r.corruptFound, 'corrupt entry found', 'corrupt entries found'),
    `${r.setAside} set aside`,
    plural(r.locksTakenOver, 'lock taken over', 'locks taken over'),
    plural(r.leftoversSwept, 'leftover swept', 'leftovers swept'),
    plural(r.entriesRestored, 'swapped-out entry put back', 'swapped-out entries put back'),
  ].join(', ')}`;
}

/** `cachex stats` as a table like `ccache -s`: one row per task and a total. */
export async function statsText(summary: StatsSummary, window: { since?: number; task?: string }): Promise<string> {
  const scope = window.task ? ` of task ${window.task}` : '';
  const when =
    window.since !== undefined
      ? ` since ${new Date(window.since).toISOString()}`
      : summary.from !== null
        ? ` since ${new Date(summary.from).toISOString()}`
        : '';
  if (!summary.events) return `No statistics${scope}${when} yet: they are collected as tasks run.\n`;
  const rows = summary.tasks.map((s) => row(s.module === 'tasks' ? s.task : `${s.module}/${s.task}`, s));
  if (summary.tasks.length > 1) rows.push(row('total', summary.overall));
  const table = await renderTable({
    head: ['task', 'hits', 'misses', 'forced', 'hit rate', 'time saved', 'stored', 'bytes stored', 'not stored'],
    rows,
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  const lines = [`Cache statistics${scope}${when} (${summary.events} events)`, table.trimEnd()];
  const reasons = Object.entries(summary.overall.notStoredReasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) lines.push(`not stored: ${reasons.map(([why, n]) => `${why} (${n})`).join(', ')}`);
  const repaired = recoveryText(summary.recovery);
  if (repaired) lines.push(repaired);
  return `${lines.join('\n')}\n`;
}
