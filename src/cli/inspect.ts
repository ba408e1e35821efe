import { Command, CommanderError } from './commander.js';
import type { TaskSpec } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { EntryStore, ListedEntry as CatalogEntry } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import type { KeyInputs } from '../key/inputs.js';
import type { EntryMeta, OutputRecord } from '../store/meta.js';
import type { CliContext } from './context.js';
import { entryRecord } from './ls.js';
import { addParamFlags, refuseFlagLikeValues } from './task-flags.js';
import { isPathInput } from '../store/brief.js';
import { isSegment } from '../store/layout.js';
import { displayName } from '../tasks/name-bytes.js';

/** What a task name may look like; anything else (`../../etc`) can only be a key prefix. */

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('show one entry: metadata, params, key inputs, outputs, logs, command line')
    .argument('<target>', 'a key prefix (at least 6 hex characters) or a task name followed by its flags')
    .argument('[flags...]', "the task's flags, exactly as for `cachex run <task>`")
    .option('--json', 'print the full record as JSON')
    // A task's own flags (--file, --resolution …) are parsed per task below, once the config is loaded.
    .allowUnknownOption()
    .addHelpText(
      'after',
      '\nExamples:\n  cachex inspect 3f2a9c\n  cachex inspect convert --file data.pcd --resolution 0.1\n  cachex inspect 3f2a9c --json\n',
    )
    .action(async (target: string, flags: string[], opts: { json?: boolean }) => {
      const spec = await taskNamed(ctx, target);
      if (spec) {
        await inspectTask(ctx, target, spec, flags, Boolean(opts.json));
        return;
      }
      if (flags.length)
        throw new UsageError(
          `\`cachex inspect <key-prefix>\` takes no flags besides --json, got ${JSON.stringify(flags[0])}; to look an entry up by its params, name its task first.`,
        );
      refuseNonHexTarget(target);
      const { resolveKeyPrefix } = await import('./key-prefix.js');
      const store = await ctx.store();
      await printEntry(store, await resolveKeyPrefix(store, target), Boolean(opts.json));
    });
}

/** A target that names no task can only be a key prefix, which is hex: it can never name a path. */
export function refuseNonHexTarget(target: string): void {
  if (!/^[0-9a-fA-F]+$/.test(target)) {
    throw new UsageError(
      `${JSON.stringify(target)} is neither a task nor a key prefix; name a task (see \`cachex tasks\`) or give at least 6 hex characters of a key (see \`cachex ls\`).`,
    );
  }
}

/** The task spec when `target` names a task; null when it should be read as a key prefix. */
export async function taskNamed(ctx: CliContext, target: string): Promise<TaskSpec | null> {
  if (!isSegment(target)) return null;
  const settings = await ctx.settings();
  const looksLikePrefix = /^[0-9a-fA-F]{6,64}$/.test(target);
  if (!settings.hasConfig) {
    if (looksLikePrefix) return null;
    await settings.config(); // throws the "no config file" error, which says how to create one
  }
  try {
    const config = await settings.config();
    return Object.hasOwn(config.tasks, target) ? config.tasks[target] : null;
  } catch (err) {
    // A broken config must not stop inspecting stored entries by key.
    if (looksLikePrefix) return null;
    throw err;
  }
}

async function inspectTask(
  ctx: CliContext,
  name: string,
  spec: TaskSpec,
  flags: string[],
  json: boolean,
): Promise<void> {
  const given = parseTaskFlags(name, spec, flags);
  const { prepareRun } = await import('../core/prepare.js');
  const prepared = await prepareRun(await ctx.settings(), name, given);
  const ref = { module: prepared.task.module, task: prepared.task.name, key: prepared.key };
  if (await printEntry(prepared.store, ref, json)) return;
  // Not an error: the question "is this cached?" has the answer no.
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ status: 'not cached', ...ref, ref, params: prepared.params, keyInputs: prepared.inputs }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`${name} ${ref.key}: not cached\n`);
}

/** Parses `flags` against the task's param flags, as `cachex run <task>` would. */
export function parseTaskFlags(name: string, spec: TaskSpec, flags: string[]): Record<string, unknown> {
  refuseFlagLikeValues(flags, spec.params ?? {});
  const cmd = new Command(`inspect ${name}`)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  cmd.helpOption(false);
  const attributes = addParamFlags(cmd, spec.params ?? {});
  try {
    cmd.parse(flags, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    const text = err.message
      .replace(/^error:\s*/i, '')
      .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
      .trim();
    throw new UsageError(
      `${text.charAt(0).toUpperCase()}${text.slice(1)}; see \`cachex run ${name} --help\` for its flags.`,
    );
  }
  const opts = cmd.opts();
  const given: Record<string, unknown> = {};
  for (const [attribute, param] of attributes) if (opts[attribute] !== undefined) given[param] = opts[attribute];
  return given;
}

/** Prints the stored entry of `ref`; false when there is none. */
async function printEntry(store: EntryStore, ref: EntryRef, json: boolean): Promise<boolean> {
  const [entry] = await store.list({ ...ref, keyPrefix: ref.key });
  if (!entry) return false;
  if (json) {
    process.stdout.write(`${JSON.stringify({ status: 'cached', ...entryRecord(entry), meta: entry.meta }, null, 2)}\n`);
    return true;
  }
  process.stdout.write(await entryText(entry));
  return true;
}

async function entryText(entry: CatalogEntry): Promise<string> {
  const { formatBytes, formatDuration } = await import('../output/format.js');
  const { ref, meta } = entry;
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(14)}${value}`);
  field('task', `${ref.task} (module ${ref.module})`);
  field('key', ref.key);
  field('entry', entry.dir);
  field('size on disk', formatBytes(entry.diskBytes));
  field('hits', entry.hits ? `${entry.hits}, last used ${entry.lastUsed?.toISOString()}` : '0');
  if (!meta) {
    field('problem', `${entry.metaProblem}; run \`cachex verify --fix\` to remove the entry`);
    return `${lines.join('\n')}\n`;
  }
  field('created', meta.created);
  field('duration', formatDuration(meta.durationMs));
  field('exit code', String(meta.exitCode));
  field('version', `task ${meta.taskVersion ?? '(none)'}, stored by cachex ${meta.cachex}`);
  if (meta.command) field('command', meta.command.map(shellWord).join(' '));
  lines.push('params:');
  for (const [name, record] of Object.entries(meta.params ?? {})) {
    lines.push(`  ${name} = ${JSON.stringify(record?.value)}${record?.ignored ? '  (ignored: not in the key)' : ''}`);
  }
  lines.push('key inputs:');
  lines.push(...keyInputLines(meta));
  field(
    'logs',
    `stdout ${formatBytes(meta.logs?.stdout?.size ?? 0)}, stderr ${formatBytes(meta.logs?.stderr?.size ?? 0)}`,
  );
  field(
    'result',
    meta.result
      ? `${formatBytes(meta.result.size)} (${meta.result.encoding}, ${formatBytes(meta.result.rawSize)} serialised)`
      : 'none',
  );
  const files = (meta.outputs ?? []).filter((o) => o.type === 'file');
  lines.push(
    `outputs:      ${files.length} ${files.length === 1 ? 'file' : 'files'}, ${formatBytes(files.reduce((n, o) => n + o.size, 0))}`,
  );
  lines.push(...outputTree(meta.outputs ?? [], formatBytes));
  return `${lines.join('\n')}\n`;
}

function keyInputLines(meta: EntryMeta): string[] {
  const inputs = meta.keyInputs;
  const lines = [`  kind: ${inputs.kind}`, `  version: ${JSON.stringify(inputs.version)}`];
  if (inputs.code) lines.push(`  code: ${inputs.code}`);
  if (inputs.command) lines.push(`  command: ${inputs.command.map(shellWord).join(' ')}`);
  if (inputs.workingFolder !== undefined)
    lines.push(`  working folder: ${displayName(inputs.workingFolder)} (relative to the project root)`);
  if (inputs.executable)
    lines.push(
      `  executable: ${inputs.executable.path} (${inputs.executable.digest ?? 'keyed by its version output'})`,
    );
  lines.push(...toolLines(inputs.tool));
  for (const [name, value] of Object.entries(inputs.params ?? {})) {
    lines.push(`  param ${name}: ${isPathInput(value) ? pathInputText(value) : JSON.stringify(value)}`);
  }
  for (const [name, digest] of Object.entries(inputs.env ?? {}))
    lines.push(`  env ${name}: ${digest === null ? 'unset' : `digest ${digest}`}`);
  return lines;
}

function toolLines(tool: KeyInputs['tool']): string[] {
  if (!tool) return [];
  const lines = (tool.libraries ?? []).map((l) => `  library: ${l.path} (${l.digest})`);
  lines.push(...(tool.inputs ?? []).map((i) => `  tool input: ${i.path} (${i.digest})`));
  if (tool.version)
    lines.push(
      `  tool version: ${tool.version.args.map(shellWord).join(' ')} → ${JSON.stringify(tool.version.output)} (${tool.version.digest})`,
    );
  return lines;
}

function pathInputText(value: unknown): string {
  if (Array.isArray(value)) return value.map(pathInputText).join(', ');
  const { path: p, digest } = (value ?? {}) as { path?: string; digest?: string };
  return [p && displayName(p), digest && `digest ${digest}`].filter(Boolean).join(' ');
}

/** The outputs manifest as an indented tree; it is already in walk order (parents before children). */
function outputTree(outputs: OutputRecord[], formatBytes: (n: number) => string): string[] {
  const rows = outputs.map((o) => {
    const depth = o.path.split('/').length - 1;
    const name = o.path.split('/').pop()!;
    const label = `${'  '.repeat(depth + 1)}${name}${o.type === 'dir' ? '/' : o.type === 'symlink' ? ` -> ${o.target}` : ''}`;
    return { label, size: o.type === 'file' ? formatBytes(o.size) : '' };
  });
  const width = Math.max(0, ...rows.map((r) => r.label.length));
  return rows.map((r) => (r.size ? `${r.label.padEnd(width)}  ${r.size.padStart(8)}` : r.label));
}

/** An argv word as a shell would need it, so the command line can be read (never executed). */
function shellWord(word: string): string {
  // Raw bytes of a non-UTF-8 name show as \xff (name-bytes.ts).
  return /^[\w@%+=:,./{}$-]+$/.test(word) ? word : `'${displayName(word).replace(/'/g, `'\\''`)}'`;
}
