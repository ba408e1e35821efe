import { CachexError, UsageError } from '../errors.js';
import type { EntryRef } from '../store/layout.js';
import type { TieredStore } from '../store/tiered.js';
import type { CliContext } from './context.js';
import { checkKeyPrefix } from './key-prefix.js';

/** `cachex remote ls|push|pull`: moving entries between the local store and the remote by hand. */

const taskName = (ref: EntryRef) => (ref.module === 'tasks' ? ref.task : `${ref.module}/${ref.task}`);
const matchesTask = (ref: EntryRef, task: string) => ref.task === task || taskName(ref) === task;

interface LsRow {
  task: string;
  module: string;
  key: string;
  /** Bytes: the artifact's (S3 listing) or the local entry's. */
  size: number | null;
  modified: string | null;
  local: boolean;
  remote: boolean | null;
}

export async function remoteLs(store: TieredStore, task: string | undefined, json: boolean): Promise<number> {
  const tier = await store.remoteTier();
  const listed = await tier.list();
  let rows: LsRow[];
  if (listed.status === 'error')
    throw new CachexError(
      `Listing ${tier.settings.server} failed (${listed.reason}); check the credentials (listing needs s3:ListBucket) and CACHEX_REMOTE_URL.`,
    );
  if (listed.status === 'listed') {
    rows = listed.artifacts
      .filter((a) => !task || matchesTask(a.ref, task))
      .map((a) => ({
        task: a.ref.task,
        module: a.ref.module,
        key: a.ref.key,
        size: a.size,
        modified: a.modified,
        local: store.outDir(a.ref) !== null,
        remote: true,
      }));
  } else {
    process.stderr.write(
      `cachex: the Turborepo API cannot list artifacts; these are the local entries, each asked for at ${tier.settings.server} with one HEAD.\n`,
    );
    const local = await store.list(task ? { task } : {});
    rows = [];
    for (const e of local.filter((l) => !task || matchesTask(l.ref, task)))
      rows.push({
        task: e.ref.task,
        module: e.ref.module,
        key: e.ref.key,
        size: e.diskBytes,
        modified: e.created?.toISOString() ?? null,
        local: true,
        remote: await store.remoteHas(e.ref),
      });
  }
  rows.sort((a, b) => taskName(a).localeCompare(taskName(b)) || a.key.localeCompare(b.key));
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const { formatBytes, shortKey } = await import('../output/format.js');
  const { renderTable } = await import('../output/table.js');
  const yesNo = (v: boolean | null) => (v === null ? '?' : v ? 'yes' : 'no');
  const table = await renderTable({
    head: ['task', 'key', 'size', listed.status === 'listed' ? 'uploaded' : 'created', 'local', 'remote'],
    rows: rows.map((r) => [
      taskName(r),
      shortKey(r.key),
      r.size === null ? '-' : formatBytes(r.size),
      r.modified?.replace(/\.\d+Z$/, 'Z') ?? '-',
      yesNo(r.local),
      yesNo(r.remote),
    ]),
    align: ['left', 'left', 'right', 'left', 'left', 'left'],
  });
  const onRemote = rows.filter((r) => r.remote).length;
  const where = `${tier.settings.server} (namespace ${tier.settings.namespace})`;
  process.stdout.write(
    `${table}${listed.status === 'listed' ? `${rows.length} artifacts on ${where}` : `${rows.length} local entries, ${onRemote} on ${where}`}\n`,
  );
  return 0;
}

/** The local entries a push selector names: every entry, a task's, or those of a key prefix. */
async function selectLocal(store: TieredStore, selector: string | undefined): Promise<EntryRef[]> {
  const all = (await store.list({ withoutSizes: true })).map((e) => e.ref);
  if (selector === undefined) return all;
  const ofTask = all.filter((ref) => matchesTask(ref, selector));
  if (ofTask.length) return ofTask;
  if (!/^[0-9a-fA-F]+$/.test(selector))
    throw new UsageError(
      `No local entry is of task ${JSON.stringify(selector)}; name a task with stored entries or give at least 6 hex characters of a key (see \`cachex ls\`).`,
    );
  const prefix = checkKeyPrefix(selector);
  const refs = all.filter((ref) => ref.key.startsWith(prefix));
  if (!refs.length)
    throw new UsageError(`No local entry has a key starting with ${prefix}; run \`cachex ls\` to see the stored keys.`);
  return refs;
}

export async function remotePush(store: TieredStore, selector: string | undefined, json: boolean): Promise<number> {
  const tier = await store.remoteTier();
  if (tier.settings.readOnly)
    throw new CachexError(
      'CACHEX_REMOTE_READ_ONLY is set, so push sends nothing; push from a job that may write (unset it there).',
    );
  const refs = await selectLocal(store, selector);
  const { shortKey } = await import('../output/format.js');
  const results: { task: string; module: string; key: string; status: string }[] = [];
  for (const ref of refs) {
    const status = await store.push(ref);
    results.push({ task: ref.task, module: ref.module, key: ref.key, status });
    if (!json) {
      const words =
        status === 'stored'
          ? 'pushed'
          : status === 'present'
            ? 'already on the remote'
            : status === 'missing'
              ? 'gone from the local store meanwhile'
              : `not pushed (${status})`;
      process.stderr.write(`${taskName(ref)} ${shortKey(ref.key)}: ${words}\n`);
    }
  }
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = results.length - count('stored') - count('present') - count('missing');
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else
    process.stdout.write(
      `${count('stored')} pushed, ${count('present')} already on ${tier.settings.server}, ${failed} not pushed\n`,
    );
  return failed ? 1 : 0;
}

export async function remotePull(
  ctx: CliContext,
  store: TieredStore,
  target: string,
  flags: string[],
  json: boolean,
): Promise<number> {
  const { taskNamed, parseTaskFlags } = await import('./inspect.js');
  const spec = await taskNamed(ctx, target);
  let ref: EntryRef;
  let outcome: Awaited<ReturnType<TieredStore['pull']>>;
  if (spec) {
    const given = parseTaskFlags(target, spec, flags);
    const { prepareRun } = await import('../core/prepare.js');
    const prepared = await prepareRun(await ctx.settings(), target, given, { disabled: false });
    ref = { module: prepared.task.module, task: prepared.task.name, key: prepared.key };
    outcome = await (prepared.store as TieredStore).pull(ref, prepared.inputs);
  } else {
    if (flags.length)
      throw new UsageError(
        `\`cachex remote pull <key-prefix>\` takes no flags besides --json, got ${JSON.stringify(flags[0])}; to pull by params, name the task first.`,
      );
    if (!/^[0-9a-fA-F]+$/.test(target))
      throw new UsageError(
        `${JSON.stringify(target)} is neither a task nor a key prefix; name a task (see \`cachex tasks\`) or give at least 6 hex characters of a key.`,
      );
    ref = await remoteRefOf(store, checkKeyPrefix(target));
    outcome = await store.pull(ref, null);
  }
  const { shortKey } = await import('../output/format.js');
  const name = `${taskName(ref)} ${shortKey(ref.key)}`;
  if (json) process.stdout.write(`${JSON.stringify({ ...ref, status: outcome })}\n`);
  const words: Record<string, string> = {
    pulled: 'pulled and verified; it is a local entry now',
    present: 'already stored locally; nothing pulled',
    miss: 'not on the remote',
    rejected: 'the artifact was refused (see the warning); nothing stored',
    error: 'the remote failed (see the warning); nothing stored',
    skipped: 'not asked',
    off: 'the remote is off',
  };
  if (!json) process.stdout.write(`${name}: ${words[outcome] ?? outcome}\n`);
  return outcome === 'pulled' || outcome === 'present' ? 0 : 1;
}

/** The one artifact on the remote whose key starts with `prefix` (S3 lists; the Turborepo API cannot). */
async function remoteRefOf(store: TieredStore, prefix: string): Promise<EntryRef> {
  const tier = await store.remoteTier();
  const listed = await tier.list();
  if (listed.status === 'cannot-list')
    throw new UsageError(
      'The Turborepo API cannot list artifacts, so a key prefix cannot be found there; pull by task: `cachex remote pull <task> [flags]`.',
    );
  if (listed.status === 'error')
    throw new CachexError(`Listing ${tier.settings.server} failed (${listed.reason}); pull by task instead.`);
  const refs = listed.artifacts.map((a) => a.ref).filter((ref) => ref.key.startsWith(prefix));
  if (refs.length === 1) return refs[0];
  if (!refs.length)
    throw new CachexError(
      `No artifact on ${tier.settings.server} (namespace ${tier.settings.namespace}) has a key starting with ${prefix}; run \`cachex remote ls\`.`,
    );
  throw new UsageError(
    `The key prefix ${prefix} is ambiguous on the remote: it matches ${refs
      .slice(0, 8)
      .map((r) => `${r.task} ${r.key.slice(0, 12)}`)
      .join(', ')}; give more characters.`,
  );
}
