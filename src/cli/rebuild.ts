import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Settings } from '../config/settings.js';
import type { CachexConfig } from '../config/types.js';
import { CachexError, UsageError } from '../errors.js';
import type { EntryStore } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import type { EntryMeta } from '../store/meta.js';
import type { CliContext } from './context.js';
import { isSegment } from '../store/layout.js';
import { displayName, fsName, hasRawBytes } from '../tasks/name-bytes.js';
import { keyWorkingFolder } from '../key/working-folder.js';

interface RebuildFlags {
  task?: string;
  all?: boolean;
  json?: boolean;
  quiet?: boolean;
}

interface Rebuilt {
  ref: EntryRef;
  /** Set when the inputs changed since the entry was stored: the run went to a new entry. */
  newKey?: string;
  durationMs: number;
  /** What the store step stored, for the store's caps (kept once, after the whole rebuild). */
  storedBytes: number;
}

interface Failed {
  ref: EntryRef;
  reason: string;
}

/** An entry the config cannot re-run (exec and library entries) met by --task/--all: passed over, not failed. */
interface Skipped {
  ref: EntryRef;
  skipped: string;
}

const refId = (ref: EntryRef) => `${ref.module}/${ref.task}/${ref.key}`;

export function registerRebuild(program: Command, ctx: CliContext): void {
  program
    .command('rebuild')
    .description('re-run stored entries with their stored params, replacing each one only when its new run succeeds')
    .argument('[key-prefix...]', 'entries to rebuild (at least 6 hex characters of each key, from `cachex ls`)')
    .option('--task <task>', 'every entry of this task')
    .option('--all', 'every entry (with --task: every entry of that task)')
    .option('--json', 'machine-readable summary on stdout; task output goes to stderr')
    .option('--quiet', "no status lines, only the tasks' own output and the failures")
    .addHelpText(
      'after',
      '\nExamples:\n  cachex rebuild 3f2a9c\n  cachex rebuild --task convert\n  cachex rebuild --all\n',
    )
    .action(async (prefixes: string[], flags: RebuildFlags) => {
      if (!prefixes.length && flags.task === undefined && !flags.all) {
        throw new UsageError(
          'Name what to rebuild: `cachex rebuild <key-prefix>…`, `cachex rebuild --task <task>` or `cachex rebuild --all`.',
        );
      }
      const settings = await ctx.settings();
      const store = await ctx.store();
      // Without a config, exec and library entries still get their own answer (not "create a config").
      const config = settings.hasConfig ? await settings.config() : null;
      const { refs, named } = await selectEntries(store, config, prefixes, flags);
      if (!refs.length) {
        process.stderr.write(`No stored entries${flags.task ? ` of ${flags.task}` : ''} to rebuild.\n`);
        if (flags.json) process.stdout.write(`${JSON.stringify({ rebuilt: [], failed: [] })}\n`);
        return;
      }
      const rebuilt: Rebuilt[] = [];
      const failed: Failed[] = [];
      const skipped: Skipped[] = [];
      for (const ref of refs) {
        const outcome = await rebuildOne(settings, store, config, ref, flags, !named.has(refId(ref)));
        if ('reason' in outcome) failed.push(outcome);
        else if ('skipped' in outcome) skipped.push(outcome);
        else rebuilt.push(outcome);
      }
      // The caps are kept once, after every entry is rebuilt: pruning between two would remove entries still to do.
      const storedBytes = rebuilt.reduce((n, r) => n + r.storedBytes, 0);
      if (storedBytes > 0) {
        const { keepCaps } = await import('../core/auto-prune.js');
        const { storeCaps } = await import('../config/caps.js');
        const { stillOverNote } = await import('./auto-prune-note.js');
        const quiet = { quiet: Boolean(flags.quiet || flags.json) };
        await keepCaps(
          store.root,
          storeCaps(config, store, process.env, (l, c) => stillOverNote(l, c, quiet)),
          storedBytes,
        );
      }
      await summarise(rebuilt, failed, skipped, flags);
      process.exitCode = failed.length ? 1 : 0;
    });
}

async function selectEntries(
  store: EntryStore,
  config: CachexConfig | null,
  prefixes: string[],
  flags: RebuildFlags,
): Promise<{ refs: EntryRef[]; named: Set<string> }> {
  const { resolveKeyPrefix } = await import('./key-prefix.js');
  const refsOf = async (query: { task?: string }) =>
    (await store.list({ ...query, withoutSizes: true })).map((entry) => entry.ref);
  // Resolve every prefix before running anything, so a typo fails fast.
  const refs: EntryRef[] = [];
  for (const prefix of prefixes) refs.push(await resolveKeyPrefix(store, prefix));
  const named = new Set(refs.map(refId));
  if (flags.task !== undefined) {
    if (!isSegment(flags.task))
      throw new UsageError(`--task ${JSON.stringify(flags.task)} is not a task name; see \`cachex tasks\`.`);
    const ofTask = await refsOf({ task: flags.task });
    if (!ofTask.length && !(flags.task in (config?.tasks ?? {}))) {
      throw new UsageError(
        `Unknown task "${flags.task}": it is not in the config and has no stored entries; see \`cachex tasks\` or \`cachex ls\`.`,
      );
    }
    refs.push(...ofTask);
  } else if (flags.all) {
    refs.push(...(await refsOf({})));
  }
  const seen = new Set<string>();
  return { refs: refs.filter((ref) => !seen.has(refId(ref)) && seen.add(refId(ref))), named };
}

/**
 * Why this entry cannot be re-run from the config, or null when it can.
 * `never`: no config can ever re-run it (exec and library entries).
 */
function whyNotRebuildable(
  config: CachexConfig | null,
  ref: EntryRef,
  meta: EntryMeta,
  short: string,
): { reason: string; never: boolean } | null {
  if (meta.kind === 'exec')
    return {
      reason: `${ref.task} ${short} was stored by \`cachex exec\`; run the same \`cachex exec --force -- …\` command again to rebuild it`,
      never: true,
    };
  const spec = config?.tasks[ref.task];
  if (!config && ref.module === 'tasks') {
    return {
      reason: `${ref.task} ${short} was stored by the config task ${ref.task}, and no cachex.config.ts was found in this folder or any parent; run the rebuild where the config is, or pass --config <file>`,
      never: false,
    };
  }
  if (!spec || (spec.module ?? 'tasks') !== ref.module) {
    return {
      reason: `${ref.task} ${short} is a library entry (module ${ref.module}); it can only be rebuilt from code (call ${ref.task}.make({ force: true, … }) with its params)`,
      never: true,
    };
  }
  for (const [name, param] of Object.entries(spec.params ?? {})) {
    if (param.type !== 'file' && param.type !== 'dir') continue;
    const value = meta.params[name]?.value;
    for (const p of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      if (!existsSync(fsName(String(p))))
        return {
          reason: `its input ${param.type} ${displayName(String(p))} (--${name}) no longer exists; restore it or run the task with a new path`,
          never: false,
        };
    }
  }
  return null;
}

/** The folder a command entry ran in (its key's working folder, relative to the project root); else the current folder. */
function storedWorkingFolder(meta: EntryMeta, settings: Settings): string {
  const stored = meta.keyInputs?.workingFolder;
  if (typeof stored !== 'string') return settings.cwd;
  const cwd = path.resolve(settings.projectRoot, stored);
  // The current folder keeps its own spelling: it may be a non-UTF-8 name that only the process's cwd reaches.
  return keyWorkingFolder(settings.cwd, settings.projectRoot) === stored ? settings.cwd : cwd;
}

async function rebuildOne(
  settings: Settings,
  store: EntryStore,
  config: CachexConfig | null,
  ref: EntryRef,
  flags: RebuildFlags,
  /** Reached by --task or --all, not named by its key. */
  selected: boolean,
): Promise<Rebuilt | Failed | Skipped> {
  const { shortKey } = await import('../output/format.js');
  const short = shortKey(ref.key);
  const [listed] = await store.list({ ...ref, keyPrefix: ref.key, withoutSizes: true });
  const meta = listed?.meta ?? null;
  const metaProblem = listed ? listed.metaProblem : 'it is gone';
  if (!meta)
    return {
      ref,
      reason: `${ref.task} ${short}: ${metaProblem ?? 'meta.yaml is unreadable'}, so its params are unknown; \`cachex prune\` removes it`,
    };
  const refused = whyNotRebuildable(config, ref, meta, short);
  if (refused?.never && selected) return { ref, skipped: refused.reason };
  if (refused) return { ref, reason: refused.reason };

  const { prepareRun } = await import('../core/prepare.js');
  const { runTask } = await import('../core/run-task.js');
  const { Progress } = await import('../output/progress.js');
  const { statusLine } = await import('../output/status.js');
  const { freshLine } = await import('../output/terminal.js');
  const { runEvents } = await import('../output/run-report.js');
  const { storageWords } = await import('../output/not-stored.js');
  const given = Object.fromEntries(Object.entries(meta.params ?? {}).map(([name, record]) => [name, record.value]));
  // A command ran in a folder of the project (its working folder is in the key): rebuild it there.
  const cwd = storedWorkingFolder(meta, settings);
  if (!existsSync(fsName(cwd)))
    return {
      ref,
      reason: `${ref.task} ${short}: it was run in ${displayName(cwd)}, which no longer exists; recreate it or run the task again from another folder`,
    };
  if (cwd !== settings.cwd && hasRawBytes(cwd))
    return {
      ref,
      reason: `${ref.task} ${short}: it was run in ${displayName(cwd)}, a folder name that is not UTF-8, which cachex can only run a command in from inside it; run \`cachex rebuild\` there`,
    };
  const { showWorkProgress } = await import('../output/work-progress.js');
  const work = showWorkProgress(!flags.quiet && !flags.json, settings.cwd);
  work.dataFolder(store.root);
  let prepared;
  try {
    prepared = await prepareRun(settings, ref.task, given, undefined, cwd);
  } catch (err) {
    if (err instanceof CachexError) return { ref, reason: `${ref.task} ${short}: ${err.message.replace(/\.$/, '')}` };
    throw err;
  }
  const quiet = Boolean(flags.quiet || flags.json);
  const progress = new Progress(!quiet);
  const outcome = await runTask({
    ...prepared,
    force: true,
    live: {
      stdout: progress.wrap(flags.json ? process.stderr : process.stdout),
      stderr: progress.wrap(process.stderr),
    },
    door: { kind: 'cli', cwd, configFile: settings.configFile.value },
    events: runEvents(progress, `${ref.task} ${short}`),
  });
  progress.stop();
  if (!quiet) process.stderr.write(`${freshLine()}${statusLine(outcome)}\n`);
  const storage = outcome.storage;
  if (storage?.kind === 'store-failed')
    return { ref, reason: `${ref.task} ${short}: ${storage.error.message.replace(/\.$/, '')}` };
  const notStored = storage && storage.kind !== 'stored' ? storageWords(storage) : null;
  if (outcome.exitCode !== 0)
    return {
      ref,
      reason: `${ref.task} ${short}: the run exited with code ${outcome.exitCode}; ${notStored ? 'the stored entry was kept' : 'stored anyway, as the task caches failures'}`,
    };
  if (notStored) return { ref, reason: `${ref.task} ${short}: ${notStored}; the stored entry was kept` };
  if (prepared.key !== ref.key) {
    process.stderr.write(
      `${ref.task} ${short}: inputs changed since it was stored (input contents, task code, version or tool); stored as a new entry ${shortKey(prepared.key)} and kept the old one.\n`,
    );
    return {
      ref,
      newKey: prepared.key,
      durationMs: outcome.durationMs,
      storedBytes: storage?.kind === 'stored' ? storage.bytes : 0,
    };
  }
  return { ref, durationMs: outcome.durationMs, storedBytes: storage?.kind === 'stored' ? storage.bytes : 0 };
}

async function summarise(rebuilt: Rebuilt[], failed: Failed[], skipped: Skipped[], flags: RebuildFlags): Promise<void> {
  const { paint } = await import('../output/terminal.js');
  for (const s of skipped) process.stderr.write(`${paint('yellow', 'skipped')} ${s.skipped}.\n`);
  for (const f of failed) process.stderr.write(`${paint('red', 'failed')} ${f.reason}.\n`);
  if (flags.json) {
    const entry = (ref: EntryRef) => ({ task: ref.task, module: ref.module, key: ref.key });
    process.stdout.write(
      `${JSON.stringify({
        rebuilt: rebuilt.map((r) => ({ ...entry(r.ref), newKey: r.newKey ?? null, durationMs: r.durationMs })),
        failed: failed.map((f) => ({ ...entry(f.ref), reason: f.reason })),
        skipped: skipped.map((s) => ({ ...entry(s.ref), reason: s.skipped })),
      })}\n`,
    );
  }
  const asNew = rebuilt.filter((r) => r.newKey).length;
  process.stderr.write(
    `rebuilt ${rebuilt.length}${asNew ? ` (${asNew} as new entries)` : ''}, failed ${failed.length}${skipped.length ? `, skipped ${skipped.length}` : ''}\n`,
  );
}
