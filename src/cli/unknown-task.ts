import { UsageError } from '../errors.js';
import type { EntryRef } from '../store/layout.js';
import type { CliContext } from './context.js';
import { suggest } from './suggest.js';

/** `task` names the entry's task, or `module/task` (library entries live under their file's module). */
export function ofTask(ref: EntryRef, task: string): boolean {
  return ref.task === task || `${ref.module}/${ref.task}` === task;
}

/**
 * A `--task` or `ls <task>` that matches no stored entry: a typo when a
 * config exists and has no task of that name either (exit 2, with the
 * closest name). Without a config — or for a task the config no longer has
 * but the store does — it is a real name with nothing stored. A config that
 * fails to load proves nothing, so it is not blamed here.
 */
export async function refuseUnknownTask(ctx: CliContext, task: string, stored: readonly EntryRef[]): Promise<void> {
  if (stored.some((ref) => ofTask(ref, task))) return;
  const settings = await ctx.settings();
  if (!settings.hasConfig) return;
  let names: string[];
  try {
    names = Object.keys((await settings.config()).tasks);
  } catch {
    return;
  }
  if (names.includes(task)) return;
  const storedNames = stored.map((ref) => (ref.module === 'tasks' ? ref.task : `${ref.module}/${ref.task}`));
  const close = suggest(task, [...new Set([...names, ...storedNames])]);
  throw new UsageError(
    `Unknown task "${task}"${close ? ` (did you mean ${close}?)` : ''}: the config has no such task and the store no entries of it; see \`cachex tasks\` or \`cachex ls\`.`,
  );
}
