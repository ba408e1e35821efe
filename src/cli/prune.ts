import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { PruneReason, PruneResult, PruneSelectors } from '../store/open.js';
import type { CliContext } from './context.js';
import { parseCount, parseDuration, parseSize } from '../config/units.js';
import { isSegment } from '../store/layout.js';
import { ofTask, refuseUnknownTask } from './unknown-task.js';

/** `task` or `module/task`. */
const isTaskName = (value: string) => value.split('/').length <= 2 && value.split('/').every(isSegment);

export interface PruneFlags {
  olderThan?: string;
  unusedFor?: string;
  maxSize?: string;
  task?: string;
  keep?: string;
  all?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

const SELECTOR_HINT =
  'add --older-than, --unused-for, --max-size, --task, --keep or --all to remove entries (for example `cachex prune --unused-for 30d`)';

export function registerPrune(program: Command, ctx: CliContext): void {
  program
    .command('prune')
    .description(
      'remove stored entries you no longer need; always sweeps crash leftovers, stale locks and corrupt entries',
    )
    .option('--older-than <duration>', 'entries created more than this long ago (30d, 12h, 90m, 45s, 2w)')
    .option('--unused-for <duration>', 'entries not used (hit) for this long')
    .option(
      '--max-size <size>',
      "remove least recently used entries until the store (with --task: that task's entries) is under this size (5GB, 500MB, 1.5G, 800k)",
    )
    .option('--task <task>', 'only entries of this task')
    .option('--keep <n>', 'never remove the newest N entries of each task')
    .option('--all', 'every entry (with --task: every entry of that task), even ones used in the last minute')
    .option('--dry-run', 'show what would be removed; remove nothing')
    .option('--json', 'machine-readable summary on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  cachex prune --unused-for 30d\n  cachex prune --max-size 5GB --keep 1\n  cachex prune --task convert --older-than 2w --dry-run\n',
    )
    .action(async (flags: PruneFlags) => {
      const selectors = parseSelectors(flags);
      const store = await ctx.store();
      let taskHasEntries = true;
      if (flags.task !== undefined) {
        // A misspelt --task is refused before anything is swept: it would otherwise prune nothing, silently.
        const stored = (await store.list({ withoutSizes: true })).map((e) => e.ref);
        await refuseUnknownTask(ctx, flags.task, stored);
        taskHasEntries = stored.some((ref) => ofTask(ref, flags.task!));
      }
      const { hasSelector } = await import('../store/open.js');
      const result = await store.prune(selectors, { dryRun: Boolean(flags.dryRun) });
      if (flags.json) process.stdout.write(`${JSON.stringify(toJson(result, flags))}\n`);
      else process.stdout.write(await describe(result, store.root, flags, hasSelector(selectors)));
      if (!taskHasEntries && !flags.json)
        process.stdout.write(`No entries of ${flags.task} are stored; nothing matched.\n`);
    });
}

/** prune's flags as selectors; a UsageError naming the flag for a bad value, before the store is opened. */
export function parseSelectors(flags: PruneFlags): PruneSelectors {
  const sel: PruneSelectors = { all: Boolean(flags.all) };
  if (flags.olderThan !== undefined) sel.olderThanMs = parseDuration(flags.olderThan, '--older-than');
  if (flags.unusedFor !== undefined) sel.unusedForMs = parseDuration(flags.unusedFor, '--unused-for');
  if (flags.maxSize !== undefined) sel.maxSizeBytes = parseSize(flags.maxSize, '--max-size');
  if (flags.keep !== undefined) sel.keep = parseCount(flags.keep, '--keep');
  if (flags.task !== undefined) {
    if (!isTaskName(flags.task))
      throw new UsageError(
        `--task ${JSON.stringify(flags.task)} is not a task name; see \`cachex tasks\` or \`cachex ls\`.`,
      );
    sel.task = flags.task;
  }
  return sel;
}

function reasonText(reasons: PruneReason[], flags: PruneFlags, detail?: string): string {
  const words: Record<PruneReason, string> = {
    'older-than': `created more than ${flags.olderThan} ago`,
    'unused-for': `unused for ${flags.unusedFor}`,
    'max-size': `least recently used, over --max-size ${flags.maxSize}`,
    task: `task ${flags.task}`,
    all: '--all',
    keep: `beyond the newest ${flags.keep}`,
    corrupt: `corrupt: ${detail}`,
  };
  return reasons.map((r) => words[r]).join(', ');
}

function toJson(result: PruneResult, flags: PruneFlags): unknown {
  return {
    removed: result.removed.map((e) => ({
      key: e.ref.key,
      task: e.ref.task,
      module: e.ref.module,
      bytes: e.bytes,
      reason: reasonText(e.reasons, flags, e.detail),
      reasons: e.reasons,
    })),
    staging: result.leftovers
      .filter((l) => l.kind !== 'lock')
      .map((l) => ({ path: l.path, kind: l.kind, bytes: l.bytes, reason: l.reason })),
    staleLocks: result.leftovers.filter((l) => l.kind === 'lock').map((l) => ({ path: l.path, reason: l.reason })),
    skipped: result.skipped.map((s) => ({ key: s.ref.key, task: s.ref.task, module: s.ref.module, reason: s.reason })),
    freedBytes: result.freedBytes,
    remainingBytes: result.remainingBytes,
    digestCache: result.digests,
    dryRun: result.dryRun,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A kept entry's reason, worded for a count of them. */
function keptBecause(reason: string): string {
  if (reason.startsWith('a running command')) return 'held by a running command';
  if (reason.startsWith('it was used in the last minute')) return 'used in the last minute (only --all removes those)';
  return `kept (${reason})`;
}

/** Why --max-size was not reached — only the reasons that really held. */
function stillOver(result: PruneResult, flags: PruneFlags): string {
  const counts = new Map<string, number>();
  for (const s of result.skipped) {
    if (flags.task !== undefined && !ofTask(s.ref, flags.task)) continue;
    const why = keptBecause(s.reason);
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const reasons = [...counts].map(([why, n]) => `${n === 1 ? '1 entry' : `${n} entries`} ${why}`);
  if (flags.keep !== undefined) reasons.push(`--keep ${flags.keep} protects the newest of each task`);
  const scope = flags.task ? `entries of ${flags.task} are` : 'store is';
  return `The ${scope} still over --max-size ${flags.maxSize}${reasons.length ? `: ${reasons.join('; ')}` : ''}.`;
}

async function describe(result: PruneResult, root: string, flags: PruneFlags, selected: boolean): Promise<string> {
  const { formatBytes, shortKey } = await import('../output/format.js');
  const verb = result.dryRun ? 'would remove' : 'removed';
  const lines: string[] = [];
  for (const e of result.removed) {
    lines.push(
      `${verb} ${e.ref.task} ${shortKey(e.ref.key)}  ${formatBytes(e.bytes)}  (${reasonText(e.reasons, flags, e.detail)})`,
    );
  }
  const staging = result.leftovers.filter((l) => l.kind !== 'lock');
  const locks = result.leftovers.filter((l) => l.kind === 'lock');
  for (const l of staging)
    lines.push(
      `${verb} ${l.kind === 'staging' ? 'staging folder' : 'leftover'} ${path.relative(root, l.path)}  ${formatBytes(l.bytes)}  (${l.reason})`,
    );
  for (const l of locks) lines.push(`${verb} stale lock ${path.relative(root, l.path)}  (${l.reason})`);
  for (const s of result.skipped) lines.push(`kept ${s.ref.task} ${shortKey(s.ref.key)}: ${s.reason}`);
  const parts = [
    plural(result.removed.length, 'entry').replace('entrys', 'entries'),
    plural(staging.length, 'staging leftover'),
    plural(locks.length, 'stale lock'),
  ];
  const remaining = `${formatBytes(result.remainingBytes)} of ${flags.task ? `${flags.task} ` : ''}entries remain`;
  lines.push(
    `${result.dryRun ? 'would free' : 'freed'} ${formatBytes(result.freedBytes)} (${parts.join(', ')}); ${remaining}.`,
  );
  const d = result.digests;
  if (d.removed)
    lines.push(
      `digest cache: ${verb} ${plural(d.removed, 'record')} (${formatBytes(d.freedBytes)}); ${plural(d.entries, 'record')} (${formatBytes(d.bytes)}) remain.`,
    );
  if (flags.maxSize !== undefined) {
    const target = parseSize(flags.maxSize, '--max-size');
    if (result.remainingBytes > target) lines.push(stillOver(result, flags));
  }
  if (!selected) lines.push(`No entries were selected; ${SELECTOR_HINT}.`);
  return `${lines.join('\n')}\n`;
}
