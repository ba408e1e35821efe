import path from 'node:path';

export const KEY_PATTERN = /^[0-9a-f]{64}$/;
export const SUMMARY_SUFFIX = '.txt';
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The one rule for names that become path segments (module, task, publish
 * names): letters, digits, ".", "_" and "-", not starting with a dot, so no
 * name can be "..", hidden, or climb out of its folder.
 */
export function isSegment(name: unknown): name is string {
  return typeof name === 'string' && SEGMENT.test(name);
}

/** Identifies one entry: DATA_FOLDER/cache/<module>/<task>/<key>/. */
export interface EntryRef {
  module: string;
  task: string;
  key: string;
}

/** Where everything lives inside one data folder. Nothing here touches the disk. */
export class Layout {
  readonly root: string;
  readonly cache: string;
  constructor(dataFolder: string) {
    this.root = path.resolve(dataFolder);
    this.cache = path.join(this.root, 'cache');
  }
  /** Staging and trash: on the same file system as cache/, so renames are atomic. */
  get tmp(): string {
    return path.join(this.root, 'tmp');
  }
  get locks(): string {
    return path.join(this.root, 'locks');
  }
  get digests(): string {
    return path.join(this.root, 'digests');
  }
  /** Validated configs saved for hits (config/manifest.ts). */
  get configs(): string {
    return path.join(this.root, 'configs');
  }
  get static(): string {
    return path.join(this.root, 'static');
  }
  /** Derived summaries of each task's entries for listings (store/local/summary.ts): a cache, never the truth. */
  get summaries(): string {
    return path.join(this.root, 'summaries');
  }
  /** The summaries of one task: one file per first hex digit of the key, so a change rewrites a sixteenth. */
  summaryFolder(module: string, task: string): string {
    assertRef({ module, task, key: '0'.repeat(64) });
    return path.join(this.summaries, module, task);
  }
  summaryFile(module: string, task: string, shard: string): string {
    if (!/^[0-9a-f]$/.test(shard)) throw new Error(`invalid summary shard ${JSON.stringify(shard)}`);
    return path.join(this.summaryFolder(module, task), `${shard}${SUMMARY_SUFFIX}`);
  }
  entryDir(ref: EntryRef): string {
    assertRef(ref);
    // What path.join gives: `cache` is resolved and the three are checked segments (no separator, no dot first).
    return `${this.cache}${path.sep}${ref.module}${path.sep}${ref.task}${path.sep}${ref.key}`;
  }
  lockTarget(ref: EntryRef): string {
    assertRef(ref);
    // As entryDir: joined by hand (prune asks for every entry's).
    return `${this.root}${path.sep}locks${path.sep}${ref.module}${path.sep}${ref.task}${path.sep}${ref.key}`;
  }
}

/** Module, task and key become path segments: refuse anything that could climb out. */
export function assertRef(ref: EntryRef): void {
  if (!isSegment(ref.module) || !isSegment(ref.task) || !KEY_PATTERN.test(ref.key)) {
    throw new Error(`invalid entry reference ${JSON.stringify(ref)}`);
  }
}

export const ENTRY_FILES = {
  meta: 'meta.yaml',
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  out: 'out',
  /** Appended on every hit; not part of the entry's integrity. */
  usage: 'usage.log',
  /** Cache of output stat stamps already verified; not part of the entry's integrity. */
  verified: 'verified.json',
} as const;
