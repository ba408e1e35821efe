import type { RunEvents, RunOutcome } from '../core/run-task.js';
import type { CachexError } from '../errors.js';
import { canonicalJson } from '../key/encode.js';
import type { KeyInputs } from '../key/inputs.js';
import type { Lookup } from '../store/entry-store.js';
import type { EntryRef } from '../store/layout.js';
import type { PlaceReport } from '../store/materialise.js';
import type { Params } from '../tasks/params.js';
import { formatBytes } from './format.js';
import type { Progress } from './progress.js';
import { decodeValue, formatValue, toJsonValue } from './result.js';
import { statusLine } from './status.js';
import { freshLine } from './terminal.js';
import { storageWords } from './not-stored.js';

export interface ReportFlags {
  json?: boolean;
  quiet?: boolean;
}

/** The waiting / corrupt / running lines every run shows (run, rebuild and exec). */
export function runEvents(progress: Progress, label: string): RunEvents {
  return {
    onWait: () => void progress.start(`waiting for another run of ${label}…`),
    onCorrupt: (file, reason) =>
      progress.print(`cachex: the stored entry ${label} is corrupt (${file}: ${reason}); recomputing.`),
    onStart: () => void progress.start(`running ${label}…`),
  };
}

/**
 * Replays a hit's logs, prints the result, the JSON summary and the status
 * line. Returns the error the CLI must still report (its exit code wins), if any.
 */
export function reportRun(outcome: RunOutcome, flags: ReportFlags, showResult: boolean): CachexError | null {
  const value = showResult ? decodeValue(outcome.result) : undefined;
  if (outcome.stdout) (flags.json ? process.stderr : process.stdout).write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  const storage = outcome.storage;
  const storeError = storage?.kind === 'store-failed' ? storage.error : null;
  const outDir = outcome.placement?.outDir ?? null;
  if (outcome.placement?.publishSkipped)
    process.stderr.write(`cachex: not published as ${outcome.placement.publishSkipped}: the run was not stored.\n`);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        status: outcome.status,
        task: outcome.ref.task,
        module: outcome.ref.module,
        key: outcome.ref.key,
        exitCode: outcome.exitCode,
        stored: storage === null || storage.kind === 'stored',
        notStored: storageWords(storage),
        durationMs: outcome.durationMs,
        outDir,
        result: showResult ? toJsonValue(value) : undefined,
        error: storeError?.message,
        remote: outcome.remote?.lookup ?? 'off',
        upload: outcome.remote?.upload ?? 'skipped',
        placementError: outcome.placementError?.message,
        replaced: outcome.placement?.outReport?.replaced,
        alreadyThere: outcome.placement?.outReport?.alreadyThere,
      })}\n`,
    );
  } else if (showResult && value !== undefined) {
    process.stdout.write(formatValue(value));
  }
  if (!flags.quiet) {
    process.stderr.write(`${freshLine()}${statusLine(outcome)}\n`);
    if (outDir && !flags.json) process.stderr.write(`outputs: ${outDir}\n`);
    const report = outcome.placement?.outReport;
    if (report && !flags.json) for (const line of outReportLines(report)) process.stderr.write(`${line}\n`);
  }
  return storeError ?? outcome.placementError;
}

/** `--dry-run`: the key, its inputs and whether it would hit; nothing runs and nothing is recorded. */
export function reportDryRun(
  found: Lookup,
  prepared: { ref: EntryRef; inputs: KeyInputs; params: Params; ignored: string[] },
  json: boolean,
): void {
  const { ref } = prepared;
  const status = found.status === 'hit' ? 'hit' : found.corrupt ? 'corrupt' : 'miss';
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ status, task: ref.task, module: ref.module, key: ref.key, keyInputs: prepared.inputs, params: prepared.params })}\n`,
    );
    return;
  }
  const outputBytes = found.status === 'hit' ? found.entry.meta().outputs.reduce((n, o) => n + o.size, 0) : 0;
  const lines = [
    `task:   ${ref.task} (module ${ref.module})`,
    `key:    ${ref.key}`,
    `status: ${status === 'corrupt' ? 'corrupt (would recompute)' : status}${found.status === 'hit' ? ` (stored ${formatBytes(outputBytes)} of outputs)` : ''}`,
    'key inputs:',
  ];
  const { params, ...rest } = prepared.inputs;
  for (const [name, value] of Object.entries(rest))
    if (value !== undefined) lines.push(`  ${name}: ${canonicalJson(value)}`);
  for (const [name, value] of Object.entries(params)) lines.push(`  param ${name}: ${canonicalJson(value)}`);
  if (prepared.ignored.length) lines.push(`  ignored: ${prepared.ignored.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** What --out did to a folder that was not empty: nothing there changes silently. */
export function outReportLines(report: PlaceReport): string[] {
  const names = (list: string[]) =>
    list.length > 5 ? `${list.slice(0, 5).join(', ')} and ${list.length - 5} more` : list.join(', ');
  const lines: string[] = [];
  if (report.replaced.length)
    lines.push(
      `  replaced ${report.replaced.length} existing ${plural(report.replaced.length, 'file')}: ${names(report.replaced)}`,
    );
  if (report.alreadyThere.length)
    lines.push(
      `  left ${report.alreadyThere.length} ${plural(report.alreadyThere.length, 'entry', 'entries')} that ${report.alreadyThere.length === 1 ? 'was' : 'were'} already there and ${report.alreadyThere.length === 1 ? 'is' : 'are'} not outputs: ${names(report.alreadyThere)}`,
    );
  return lines;
}

const plural = (n: number, one: string, many = `${one}s`) => (n === 1 ? one : many);
