import type { ParamsSchema } from '../config/types.js';
import { rankEntries, type KeyDifference, type KeySide } from '../key/diff.js';
import type { StoredEntry } from './entries.js';

export interface NearEntry {
  key: string;
  created: string | null;
  differences: KeyDifference[];
}

/** What `cachex why` found: the verdict and, on a miss, the stored entries nearest first. */
export type WhyVerdict =
  | { status: 'no-entry'; task: string; key: string }
  | { status: 'hit'; task: string; key: string; created: string | null }
  | { status: 'no-difference'; task: string; key: string; nearest: string; forced: boolean }
  | { status: 'miss'; task: string; key: string; nearest: NearEntry[] };

export interface ThisRun extends KeySide {
  task: string;
  key: string;
  schema?: ParamsSchema;
  cwd?: string;
}

/** Compares this run with the task's stored entries; reads nothing and writes nothing. */
export function explainMiss(
  run: ThisRun,
  entries: readonly StoredEntry[],
  options: { force?: boolean } = {},
): WhyVerdict {
  const { task, key } = run;
  if (!entries.length) return { status: 'no-entry', task, key };
  const same = entries.find((e) => e.key === key);
  if (same && !options.force) return { status: 'hit', task, key, created: same.created };
  if (same) return { status: 'no-difference', task, key, nearest: same.key, forced: true };
  const ranked = rankEntries(run, entries, { schema: run.schema, cwd: run.cwd });
  const nearest = ranked.map((r) => ({ key: r.entry.key, created: r.entry.created, differences: r.differences }));
  // Equal inputs under another key: an entry stored by another encoding of the same inputs.
  if (!nearest[0].differences.length)
    return { status: 'no-difference', task, key, nearest: nearest[0].key, forced: false };
  return { status: 'miss', task, key, nearest };
}

const SHOWN = 3;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The verdict in words, for the terminal. */
export function whyText(verdict: WhyVerdict): string {
  const id = `${verdict.task} ${verdict.key.slice(0, 12)}`;
  switch (verdict.status) {
    case 'no-entry':
      return `${id}: no entry for the task is stored, so there is nothing to compare with; it would run.\n`;
    case 'hit':
      return `${id}: would hit (an entry with exactly these key inputs is stored${verdict.created ? `, created ${verdict.created}` : ''}).\n`;
    case 'no-difference':
      return verdict.forced
        ? `${id}: no difference found; the stored entry has exactly these key inputs (--force runs the task anyway).\n`
        : `${id}: no difference found in the key inputs, yet the nearest entry ${verdict.nearest.slice(0, 12)} has another key (stored by another cachex version?).\n`;
    case 'miss': {
      const lines = [`${id}: would miss`];
      verdict.nearest.slice(0, SHOWN).forEach((entry, i) => {
        const when = entry.created ? ` (created ${entry.created})` : '';
        lines.push(
          `${i === 0 ? 'nearest entry' : 'then'} ${entry.key.slice(0, 12)}${when}, ${plural(entry.differences.length, 'difference')}:`,
          ...entry.differences.map((d) => `  ${d.text}`),
        );
      });
      const rest = verdict.nearest.length - SHOWN;
      if (rest > 0) lines.push(`(${rest === 1 ? '1 more entry' : `${rest} more entries`}; --json lists all)`);
      return `${lines.join('\n')}\n`;
    }
  }
}
