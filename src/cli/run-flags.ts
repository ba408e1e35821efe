import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { LINK_MODES, type LinkMode, type Placement } from '../store/place.js';
import { isSegment } from '../store/layout.js';

export interface RunFlags {
  force?: boolean;
  dryRun?: boolean;
  out?: string;
  link?: string;
  publish?: string;
  json?: boolean;
  quiet?: boolean;
  /** commander's name for --no-remote (false when given). */
  remote?: boolean;
  remoteOnly?: boolean;
}

/** Options every `run` (and `exec`) takes, besides the task's own params. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('--force', 'run even on a hit, and replace the stored entry')
    .option('--dry-run', 'print the key, each key input and hit or miss; run nothing')
    .option('--out <dir>', 'materialise the outputs into this folder')
    .option(
      '--link <mode>',
      `how --out places files: ${LINK_MODES.join(', ')}; auto is a reflink where the file system has one, else a copy; hardlink and symlink share the stored files (read-only; an edit made anyway, e.g. as root, changes the entry for every later hit)`,
      'auto',
    )
    .option('--publish <name>', 'publish the outputs as DATA_FOLDER/static/<name>')
    .option('--json', 'machine-readable summary on stdout; task output goes to stderr')
    .option('--quiet', "no status line or progress, only the task's own output")
    .option('--no-remote', 'use the local store only, even with CACHEX_REMOTE_URL set')
    .option(
      '--remote-only',
      'answer from the remote only: the local entry is neither a hit nor kept; a remote hit is verified and replaces it, a remote miss runs the task, replaces it and uploads',
    );
}

/** The remote choice the flags make, for openStore. */
export function remoteChoiceOf(flags: RunFlags): { disabled: boolean; only: boolean } {
  return { disabled: flags.remote === false, only: Boolean(flags.remoteOnly) };
}

export function checkRunFlags(flags: RunFlags): void {
  if (flags.remoteOnly) {
    if (flags.remote === false) throw new UsageError('--remote-only and --no-remote contradict each other; drop one.');
    if (flags.force)
      throw new UsageError('--remote-only looks the key up on the remote and --force skips lookups; drop one.');
    if (flags.dryRun)
      throw new UsageError(
        '--dry-run looks at the local store only; drop --remote-only (`cachex remote ls` shows the remote).',
      );
  }
  if (flags.link && !LINK_MODES.includes(flags.link as LinkMode))
    throw new UsageError(`--link must be one of ${LINK_MODES.join(', ')}, got ${JSON.stringify(flags.link)}.`);
  if (flags.out !== undefined && (flags.out === '' || flags.out.includes('\0')))
    throw new UsageError('--out needs a folder path.');
  if (flags.publish !== undefined && !isSegment(flags.publish)) {
    throw new UsageError(
      `--publish ${JSON.stringify(flags.publish)} is not a valid name; use letters, digits, ".", "_" and "-" (no slashes or "..").`,
    );
  }
}

/** The output placement the flags ask for, as data for core. */
export function placementOf(flags: RunFlags, cwd: string): Placement {
  return {
    out: flags.out ? path.resolve(cwd, flags.out) : undefined,
    link: (flags.link ?? 'auto') as LinkMode,
    publish: flags.publish,
  };
}
