import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { displayName } from '../tasks/name-bytes.js';
import type { ListedEntry as CatalogEntry } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import type { EntryBrief } from '../store/brief.js';
import type { CliContext } from './context.js';
import { refuseUnknownTask } from './unknown-task.js';

/** One entry as `ls --json` and `inspect --json` print it. */
export interface EntryRecord {
  ref: EntryRef;
  key: string;
  task: string;
  module: string;
  /** Every stored param value (normalised, as the key saw it), ignored ones included. */
  params: Record<string, unknown>;
  ignoredParams: string[];
  diskBytes: number;
  created: string | null;
  lastUsed: string | null;
  hits: number;
  exitCode: number | null;
  durationMs: number | null;
  dir: string;
  /** Why meta.yaml could not be read (the entry is listed so its disk use is not hidden). */
  problem: string | null;
}

export function entryRecord(entry: CatalogEntry): EntryRecord {
  const brief = entry.brief;
  const params: Record<string, unknown> = {};
  const ignoredParams: string[] = [];
  for (const [name, record] of Object.entries(brief?.params ?? {})) {
    params[name] = record?.value;
    if (record?.ignored) ignoredParams.push(name);
  }
  return {
    ref: entry.ref,
    key: entry.ref.key,
    task: entry.ref.task,
    module: entry.ref.module,
    params,
    ignoredParams,
    diskBytes: entry.diskBytes,
    created: entry.created?.toISOString() ?? null,
    lastUsed: entry.lastUsed?.toISOString() ?? null,
    hits: entry.hits,
    exitCode: brief?.exitCode ?? null,
    durationMs: brief?.durationMs ?? null,
    dir: entry.dir,
    problem: entry.metaProblem,
  };
}

function showValue(value: unknown, isPath: boolean): string {
  if (Array.isArray(value)) return value.map((v) => showValue(v, isPath)).join(',');
  // A name that is not UTF-8 shows its raw bytes as \xff (name-bytes.ts).
  if (isPath && typeof value === 'string') return displayName(path.basename(value));
  if (typeof value === 'string') return /^[^\s"=,]+$/.test(value) ? displayName(value) : JSON.stringify(value);
  return String(value);
}

/** An unset or empty value (exec's `input=` when no --input was given) says nothing in a row. */
const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/** The params that make up the key, as `name=value` (file params by their base name). */
export function keyParamsText(brief: EntryBrief): string {
  // One plain loop: this runs once per row, 10 000 times for a big store, mostly before V8 has optimised it.
  let text = '';
  const params = brief.params;
  for (const name of Object.keys(params)) {
    const record = params[name];
    if (record?.ignored || isEmpty(record?.value)) continue;
    const value = record.value;
    // Numbers and booleans read the same whatever the param's type.
    const shown =
      typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : showValue(value, brief.pathParams.includes(name));
    text = text ? `${text} ${name}=${shown}` : `${name}=${shown}`;
  }
  return text;
}

export interface WhereClause {
  name: string;
  value: string;
}

export function parseWhere(raw: readonly string[]): WhereClause[] {
  return raw.map((text) => {
    const eq = text.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--where needs name=value, got ${JSON.stringify(text)}; for example --where resolution=0.1.`,
      );
    return { name: text.slice(0, eq), value: text.slice(eq + 1) };
  });
}

/**
 * Compares a --where value with a stored value by the stored value's type, so
 * `resolution=0.10` matches the normalised 0.1 without loading the config. A
 * file param also matches its path (relative to `cwd`) or its base name; a list
 * matches when any item does.
 */
export function valueMatches(stored: unknown, given: string, isPath: boolean, cwd: string): boolean {
  if (Array.isArray(stored)) return stored.some((item) => valueMatches(item, given, isPath, cwd));
  if (typeof stored === 'number') return given.trim() !== '' && Number(given) === stored;
  if (typeof stored === 'boolean') return given === String(stored);
  if (typeof stored !== 'string') return false;
  if (stored === given) return true;
  return isPath && given !== '' && (path.resolve(cwd, given) === stored || path.basename(stored) === given);
}

export function matchesWhere(brief: EntryBrief | null, clauses: readonly WhereClause[], cwd: string): boolean {
  if (!clauses.length) return true;
  if (!brief) return false;
  return clauses.every(
    ({ name, value }) =>
      name in brief.params && valueMatches(brief.params[name]?.value, value, brief.pathParams.includes(name), cwd),
  );
}

export const SORT_FIELDS = ['size', 'created', 'used', 'hits'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

const time = (d: Date | null) => d?.getTime() ?? 0;

/** Biggest, newest, most recently used or most hit first; without --sort, by task and newest first. */
export function sortEntries(entries: CatalogEntry[], field: SortField | undefined): CatalogEntry[] {
  const by: Record<SortField, (a: CatalogEntry, b: CatalogEntry) => number> = {
    size: (a, b) => b.diskBytes - a.diskBytes,
    created: (a, b) => time(b.created) - time(a.created),
    used: (a, b) => time(b.lastUsed) - time(a.lastUsed),
    hits: (a, b) => b.hits - a.hits,
  };
  // Equal names (most comparisons in a big store) skip localeCompare, which dominated sorting 10 000 rows; each
  // entry's names and creation time are read once, not twice per comparison.
  const rows = entries.map((e) => ({ e, module: e.ref.module, task: e.ref.task, created: time(e.created) }));
  type Row = (typeof rows)[number];
  const byTask = (a: Row, b: Row) =>
    (a.module === b.module ? 0 : a.module.localeCompare(b.module)) ||
    (a.task === b.task ? 0 : a.task.localeCompare(b.task)) ||
    b.created - a.created;
  rows.sort(field ? (a, b) => by[field](a.e, b.e) || byTask(a, b) : byTask);
  return rows.map((row) => row.e);
}

interface LsOptions {
  where: string[];
  sort?: string;
  json?: boolean;
}

export function registerLs(program: Command, ctx: CliContext): void {
  program
    .command('ls')
    .description('list the stored entries: task, key, key params, size, created, last used, hits')
    .argument('[task]', 'only entries of this task')
    .option(
      '--where <name=value>',
      'only entries whose param has this value (repeatable; all must match)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--sort <field>', `order by ${SORT_FIELDS.join(', ')} (largest / newest / most first)`)
    .option('--json', 'print an array of full records')
    .addHelpText(
      'after',
      '\nExamples:\n  cachex ls\n  cachex ls convert --where resolution=0.1 --sort size\n  cachex ls --json\n',
    )
    .action(async (task: string | undefined, opts: LsOptions) => {
      const clauses = parseWhere(opts.where);
      if (opts.sort !== undefined && !SORT_FIELDS.includes(opts.sort as SortField)) {
        throw new UsageError(`--sort must be one of ${SORT_FIELDS.join(', ')}, got ${JSON.stringify(opts.sort)}.`);
      }
      const settings = await ctx.settings();
      const store = await ctx.store();
      const ofTask = await store.list(task ? { task } : {});
      if (task && !ofTask.length)
        await refuseUnknownTask(
          ctx,
          task,
          (await store.list({ withoutSizes: true })).map((e) => e.ref),
        );
      const found = ofTask.filter((e) => matchesWhere(e.brief, clauses, settings.cwd));
      const entries = sortEntries(found, opts.sort as SortField | undefined);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(entries.map(entryRecord), null, 2)}\n`);
        return;
      }
      process.stdout.write(await lsTable(entries));
      // Store-wide, so only under a listing of the whole store.
      if (!task && !clauses.length) process.stdout.write(await digestCacheLine(store.layout.digests));
      if (!entries.length && (task || clauses.length)) process.stderr.write(`${nothingMatched(task, opts.where)}\n`);
    });
}

/** The digest cache beside the entries: it takes disk space too, and `prune` trims it (nothing when it is empty). */
export async function digestCacheLine(folder: string): Promise<string> {
  const { digestCacheUsage } = await import('../key/digest-records.js');
  const { formatBytes } = await import('../output/format.js');
  const u = digestCacheUsage(folder);
  if (!u.entries) return '';
  const records = `${u.entries} ${u.entries === 1 ? 'record' : 'records'}`;
  return `digest cache: ${records}, ${formatBytes(u.bytes)} on disk (at most ${u.cap} records)\n`;
}

/** Said when a filter leaves nothing, so an empty table is not mistaken for a listing that failed. */
function nothingMatched(task: string | undefined, where: readonly string[]): string {
  const of = task ? ` of ${task}` : '';
  if (!where.length) return `No entries${of} are stored.`;
  return `No stored entries${of} match ${where.map((w) => `--where ${w}`).join(' ')}.`;
}

/** The params cell: the key params, then what tells the row apart (no array per row: 10 000 rows). */
function rowParams(text: string, apart: string[] | undefined): string {
  if (!apart) return text;
  for (const token of apart) if (token) text = text ? `${text} ${token}` : token;
  return text;
}

async function lsTable(entries: CatalogEntry[]): Promise<string> {
  const { formatBytes, shortKey } = await import('../output/format.js');
  const { timestampFormatter, renderTable } = await import('../output/table.js');
  const formatTimestamp = timestampFormatter();
  const { distinguishers } = await import('./ls-distinguish.js');
  const taskName = (e: CatalogEntry) => (e.ref.module === 'tasks' ? e.ref.task : `${e.ref.module}/${e.ref.task}`);
  const texts = new Map(entries.map((e) => [e, e.brief ? keyParamsText(e.brief) : `(${e.metaProblem})`]));
  const paramsText = (e: CatalogEntry) => texts.get(e)!;
  // Rows that would read the same get the key input that tells them apart (the converter binary, an env value…).
  const apart = distinguishers(entries, (e) => `${taskName(e)}\0${paramsText(e)}`);
  const rows = entries.map((e) => [
    taskName(e),
    shortKey(e.ref.key),
    rowParams(paramsText(e), apart.get(e)),
    formatBytes(e.diskBytes),
    formatTimestamp(e.created),
    e.hits ? formatTimestamp(e.lastUsed) : '-',
    String(e.hits),
  ]);
  const table = await renderTable({
    head: ['task', 'key', 'params', 'size', 'created', 'last used', 'hits'],
    rows,
    align: ['left', 'left', 'left', 'right', 'left', 'left', 'right'],
  });
  const bytes = entries.reduce((sum, e) => sum + e.diskBytes, 0);
  const hits = entries.reduce((sum, e) => sum + e.hits, 0);
  const count = `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`;
  return `${table}${count}, ${formatBytes(bytes)} on disk, ${hits} ${hits === 1 ? 'hit' : 'hits'}\n`;
}
