import { crypto } from '../lazy-builtins.js';
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { StoreError, storeErrorFrom } from '../errors.js';
import { HeldDir, type Missing } from './held-dir.js';
import type { OutputRecord } from './meta.js';
import { type LinkMode, PlacementRefused, safeRelative } from './placement-problem.js';
import { symlinkStaysInside } from './local/outputs.js';
import { makeDirs } from './make-dirs.js';

/** Outputs placed so far (bytes of their files) while a placement lasts more than 100 ms; the CLI shows it. */
export interface PlaceProgress {
  target: string;
  bytes: number;
  total: number;
  elapsedMs: number;
  done: boolean;
}

let onPlace: ((progress: PlaceProgress) => void) | undefined;
/** A placement done within this long reports nothing (a hit, a few small files). */
export const PLACE_QUIET_MS = 100;
let quietMs = PLACE_QUIET_MS;

/** `quiet` other than PLACE_QUIET_MS is for tests, which must see a report however fast the copy is. */
export function onPlaceProgress(
  listener: ((progress: PlaceProgress) => void) | undefined,
  quiet: number = PLACE_QUIET_MS,
): void {
  onPlace = listener;
  quietMs = quiet;
}

/** What placing into an existing folder did to what was there. */
export interface PlaceReport {
  /** Outputs that replaced a file (or symlink) of the same name. */
  replaced: string[];
  /** Entries that were in the target and are not outputs: left as they were. */
  alreadyThere: string[];
}

/**
 * The entry's files disappeared while they were being placed (pruned or
 * replaced meanwhile). A hit falls back to a miss on this; it is never the
 * caller's fault.
 */
export class SourceVanished extends StoreError {
  constructor(readonly file: string) {
    super(`The stored output ${file} disappeared while it was being placed (the entry was pruned or replaced).`);
  }
}

/** The staging folder's name inside an existing target, so a survey never reports it. */
const STAGING_PREFIX = '.cachex-place-';

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Places an entry's outputs into `target`. Everything is first built in a
 * private staging folder (beside the target when it does not exist yet, else
 * hidden inside it) and only then moved into place, so a refused or failed
 * placement leaves the target as it was. Copies get the modes and mtimes the
 * task produced; outputs that were hard links of each other become links of
 * each other again. Paths that climb out, symlinks that escape and folders
 * replaced by symlinks (also while placing) are refused.
 */
export function materialise(sourceOut: string, outputs: OutputRecord[], target: string, mode: LinkMode): PlaceReport {
  for (const o of outputs) {
    if (!safeRelative(o.path)) throw new PlacementRefused({ kind: 'escaping-path', path: o.path });
    if (o.type === 'symlink' && !symlinkStaysInside(o.path, o.target ?? ''))
      throw new PlacementRefused({ kind: 'escaping-symlink', path: o.path });
  }
  try {
    // The target may appear (or go) while we build: then the other way is taken, a few times at most.
    for (let attempt = 0; attempt < 3; attempt++) {
      const held = HeldDir.open(target);
      if (held === 'not-a-folder') throw new PlacementRefused({ kind: 'not-a-folder', path: target });
      if (held) {
        try {
          return placeIntoExisting(sourceOut, outputs, held, target, mode);
        } finally {
          held.close();
        }
      }
      if (placeAsNewFolder(sourceOut, outputs, target, mode)) return { replaced: [], alreadyThere: [] };
    }
    throw Object.assign(new Error(`${target} kept appearing and disappearing while outputs were placed`), {
      code: 'EBUSY',
    });
  } catch (err) {
    if (err instanceof PlacementRefused || err instanceof StoreError) throw err;
    throw storeErrorFrom(err, `placing outputs into ${target}`);
  }
}

/** Builds the whole tree beside the target and renames it into place; false when the target appeared meanwhile. */
function placeAsNewFolder(sourceOut: string, outputs: OutputRecord[], target: string, mode: LinkMode): boolean {
  const parent = path.dirname(target);
  makeDirs(parent);
  // mkdir (not mkdtemp, which makes it 0700): the folder becomes the target, with the mode the umask gives a new folder.
  const staging = path.join(parent, `.${path.basename(target)}.cachex-${crypto().randomBytes(4).toString('hex')}`);
  mkdirSync(staging);
  try {
    build(sourceOut, outputs, staging, mode, target);
    try {
      renameSync(staging, target);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR') return false;
      throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Surveys the target, builds in a hidden staging folder inside it, then moves each output into place (undone on failure). */
function placeIntoExisting(
  sourceOut: string,
  outputs: OutputRecord[],
  held: HeldDir,
  target: string,
  mode: LinkMode,
): PlaceReport {
  const report = survey(outputs, held, target);
  const staging = mkdtempSync(held.at(STAGING_PREFIX));
  try {
    build(sourceOut, outputs, staging, mode, target);
    moveIntoPlace(outputs, staging, held, target);
    return report;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Folders of the target opened on the way down, by relative path ('' is the target). */
class Tree {
  private readonly open = new Map<string, HeldDir | Missing>();
  constructor(
    private readonly root: HeldDir,
    private readonly target: string,
  ) {}

  /** The folder `rel`, or why it cannot be entered; a symlink anywhere on the way is refused. */
  dir(rel: string): HeldDir | Missing {
    if (rel === '') return this.root;
    const known = this.open.get(rel);
    if (known && !('absent' in known)) return known;
    const up = this.dir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    const found: HeldDir | Missing = 'absent' in up ? up : up.child(path.posix.basename(rel));
    if ('absent' in found && found.absent === 'symlink' && !('absent' in up))
      throw new PlacementRefused({ kind: 'symlink-in-target', path: path.join(this.target, rel) });
    if (this.open.size > 256) this.closeAll(); // deep trees: never hold more than a few hundred descriptors
    this.open.set(rel, found);
    return found;
  }

  forget(rel: string): void {
    this.open.delete(rel);
  }

  closeAll(): void {
    for (const dir of this.open.values()) if (!('absent' in dir)) dir.close();
    this.open.clear();
  }
}

/** The folder of a manifest path ('' at the top); paths are checked safeRelative first, so no '.', '..' or '//'. */
const parentOf = (rel: string) => {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
};

/** What is at each output's place now: refuses clashes and planted symlinks before anything moves. */
function survey(outputs: OutputRecord[], held: HeldDir, target: string): PlaceReport {
  const tree = new Tree(held, target);
  const report: PlaceReport = { replaced: [], alreadyThere: [] };
  const wanted = new Set(outputs.map((o) => o.path));
  const listed = new Set<string>();
  const listExtra = (rel: string, dir: HeldDir) => {
    if (listed.has(rel)) return;
    listed.add(rel);
    for (const name of readdirSync(dir.path).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (!wanted.has(child) && !(rel === '' && name.startsWith(STAGING_PREFIX))) report.alreadyThere.push(child);
    }
  };
  try {
    listExtra('', held);
    for (const o of outputs) {
      const parent = tree.dir(parentOf(o.path));
      if ('absent' in parent) continue; // a new folder: nothing below it exists yet
      const there = lstatSync(parent.at(path.posix.basename(o.path)), { throwIfNoEntry: false });
      if (!there) continue;
      const full = path.join(target, o.path);
      if (o.type === 'dir') {
        if (there.isSymbolicLink()) throw new PlacementRefused({ kind: 'symlink-in-target', path: full });
        if (!there.isDirectory()) throw new PlacementRefused({ kind: 'not-a-folder', path: full });
        const dir = tree.dir(o.path);
        if (!('absent' in dir)) listExtra(o.path, dir);
      } else if (there.isDirectory()) {
        throw new PlacementRefused({ kind: 'folder-in-the-way', path: full });
      } else {
        report.replaced.push(o.path);
      }
    }
  } finally {
    tree.closeAll();
  }
  return report;
}

/**
 * Moves the staged outputs into the target through held folders, parents
 * first. A replaced file is first moved aside into the staging folder, so a
 * failure half-way puts everything back: the target ends as it was.
 */
function moveIntoPlace(outputs: OutputRecord[], staging: string, held: HeldDir, target: string): void {
  const tree = new Tree(held, target);
  const undo: Array<() => void> = [];
  let aside = 0;
  try {
    for (const o of outputs) {
      const parent = tree.dir(parentOf(o.path));
      if ('absent' in parent) {
        const kind = parent.absent === 'other' ? 'not-a-folder' : 'symlink-in-target';
        throw new PlacementRefused({ kind, path: path.join(target, parentOf(o.path)) });
      }
      const dest = parent.at(path.posix.basename(o.path));
      const staged = path.join(staging, o.path);
      if (o.type === 'dir') {
        const there = lstatSync(dest, { throwIfNoEntry: false });
        if (!there) {
          mkdirSync(dest);
          undo.push(() => rmdirSync(dest));
          tree.forget(o.path);
        } else if (!there.isDirectory()) {
          throw new PlacementRefused({
            kind: there.isSymbolicLink() ? 'symlink-in-target' : 'not-a-folder',
            path: path.join(target, o.path),
          });
        }
        continue;
      }
      if (lstatSync(dest, { throwIfNoEntry: false })) {
        const moved = path.join(staging, `.aside-${aside++}`);
        renameSync(dest, moved);
        undo.push(() => renameSync(moved, dest));
      }
      renameSync(staged, dest);
      undo.push(() => unlinkSync(dest));
    }
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        /* best effort: the rest is still put back */
      }
    }
    throw err;
  } finally {
    tree.closeAll();
  }
}

/**
 * What one restore learnt about reflinks: every source lies in one entry and
 * every copy in one staging folder, so the first file tells for all of them
 * (a failed clone per file cost 1.2 s on 10 000 outputs).
 */
interface Restore {
  staging: string;
  reflinks: 'unknown' | 'yes' | 'no';
  /** Folders made so far (the manifest lists parents before children). */
  made: Set<string>;
  /** Hears bytes copied so far of the file being placed, when progress is shown. */
  copying?: (bytes: number) => void;
}

/** How often placing tells its listener how far it got (the terminal redraws less often still). */
const TELL_EVERY_MS = 50;

/** A copied file this big is copied in chunks so its progress shows (a single kernel copy is silent). */
const CHUNKED_COPY_MIN = 64 * 1024 * 1024;
const COPY_CHUNK = 8 * 1024 * 1024;

/** Copies in chunks into a new file of the private staging folder, telling `heard` the bytes so far. */
function copyInChunks(source: string, dest: string, heard: (bytes: number) => void): void {
  const from = openSync(source, 'r');
  try {
    const to = openSync(dest, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK);
      let bytes = 0;
      for (;;) {
        const n = readSync(from, buffer, 0, COPY_CHUNK, null);
        if (n === 0) break;
        for (let off = 0; off < n; ) off += writeSync(to, buffer, off, n - off);
        bytes += n;
        heard(bytes);
      }
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
}

function tryLink(source: string, dest: string): boolean {
  try {
    linkSync(source, dest);
    return true;
  } catch {
    return false;
  }
}

/** Writes every output into the private staging folder (plain paths: nobody else writes there). */
function build(sourceOut: string, outputs: OutputRecord[], staging: string, mode: LinkMode, target: string): void {
  const restore: Restore = { staging, reflinks: 'unknown', made: new Set(['']) };
  // Manifest paths are checked safeRelative (no '', '.', '..' part): joined by hand, no path.join per output.
  const inStaging = (rel: string) => `${staging}/${rel}`;
  const ensureDir = (rel: string) => {
    if (restore.made.has(rel)) return;
    // The manifest lists a folder before what is in it: its parent is made, one mkdir (no stat, no thrown ENOENT).
    if (restore.made.has(parentOf(rel))) mkdirSync(inStaging(rel));
    else makeDirs(inStaging(rel));
    restore.made.add(rel);
  };
  const hear = onPlace;
  const quiet = quietMs;
  const started = Date.now();
  const total = hear ? outputs.reduce((n, o) => n + (o.type === 'file' ? o.size : 0), 0) : 0;
  let bytes = 0;
  let told = false;
  let toldAt = 0;
  const tell = (done: number) => {
    const elapsedMs = Date.now() - started;
    // After the quiet start, at most every TELL_EVERY_MS: once per file, the listener's formatting cost more than the
    // links (10 000 outputs). The first line after the quiet start is never held back.
    if (elapsedMs < quiet || (told && elapsedMs - toldAt < TELL_EVERY_MS)) return;
    hear!({ target, bytes: done, total, elapsedMs, done: false });
    told = true;
    toldAt = elapsedMs;
  };
  if (hear) restore.copying = (inFile) => tell(bytes + inFile);
  try {
    for (const o of outputs) {
      const dest = inStaging(o.path);
      ensureDir(parentOf(o.path));
      if (o.type === 'dir') ensureDir(o.path);
      else if (o.type === 'symlink') symlinkSync(o.target!, dest);
      else {
        const source = `${sourceOut}/${o.path}`;
        // A hard link straight away, the common case; placeFile sorts out every failure (across devices, the link limit, gone).
        if (mode !== 'hardlink' || !tryLink(source, dest)) placeFile(source, dest, mode, o, restore);
      }
      if (hear && o.type === 'file') {
        bytes += o.size;
        tell(bytes);
      }
    }
  } finally {
    // Also when placing failed half-way: a progress line shown must be taken down.
    if (told) hear!({ target, bytes, total, elapsedMs: Date.now() - started, done: true });
  }
}

function placeFile(source: string, dest: string, mode: LinkMode, record: OutputRecord, restore: Restore): void {
  const { staging } = restore;
  const copy = (flags: number) => {
    if (flags === 0 && restore.copying && record.size >= CHUNKED_COPY_MIN) copyInChunks(source, dest, restore.copying);
    else copyFileSync(source, dest, flags);
    // The task's own mode, not the store's read-only one: a copy is the user's to edit.
    chmodSync(dest, record.mode & 0o7777);
    if (record.mtimeMs) utimesSync(dest, new Date(record.mtimeMs), new Date(record.mtimeMs));
  };
  try {
    if (record.linkOf && (mode === 'auto' || mode === 'copy')) {
      // The task produced these as one file under two names: so are the copies (placed earlier, as the manifest is ordered).
      try {
        linkSync(path.join(staging, record.linkOf), dest);
        return;
      } catch {
        /* at the link limit, or the first is missing: a copy of its own */
      }
    }
    if (mode === 'copy') copy(0);
    else if (mode === 'auto') {
      // A reflink where the file system has one, else a copy; the first file asks, the others are told.
      if (restore.reflinks === 'no') copy(0);
      else if (restore.reflinks === 'yes') copy(constants.COPYFILE_FICLONE);
      else {
        try {
          copy(constants.COPYFILE_FICLONE_FORCE);
          restore.reflinks = 'yes';
        } catch (err) {
          if (isGone(err)) throw err;
          restore.reflinks = 'no';
          copy(0);
        }
      }
    } else if (mode === 'symlink') symlinkSync(source, dest);
    else {
      try {
        linkSync(source, dest);
      } catch (err) {
        // Across devices (or at the link limit) a copy is the only option.
        if (!['EXDEV', 'EMLINK', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
        copy(0);
      }
    }
  } catch (err) {
    if (isGone(err) && !lstatSync(source, { throwIfNoEntry: false })) throw new SourceVanished(source);
    throw err;
  }
}
