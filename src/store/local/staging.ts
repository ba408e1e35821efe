import { crypto } from '../../lazy-builtins.js';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { storeErrorFrom } from '../../errors.js';
import type { StagedRun } from '../entry-store.js';
import { ENTRY_FILES, type EntryRef, type Layout } from '../layout.js';
import { listOutputs } from '../place.js';
import type { EntryMeta, OutputRecord } from '../meta.js';
import { fsyncPath } from './fsync.js';
import { writeMetaFile } from './meta-file.js';
import { type SealedOutputs, sealOutputs } from './seal.js';
import { currentOwner } from '../../lock/owner.js';
import { makeDirs } from '../make-dirs.js';

/** Name of the file in a staging folder that says who is filling it. */
export const STAGING_OWNER = 'staging-owner.json';

/** A staging folder being set up (for microseconds); one that stays is a crash leftover. */
export const INIT_PREFIX = 'init-';

/** The output manifest while the outputs are sealed; copied into meta.yaml and removed by the commit. */
export const STAGING_MANIFEST = 'outputs.manifest';

/** A replaced entry on its way out: `tmp/trash-<key12>-<random>`. */
export const TRASH_PREFIX = 'trash-';

/**
 * A folder under tmp/ where one run builds its entry. It is renamed into
 * cache/ only when complete, so readers never see a partial entry.
 */
export class Staging implements StagedRun {
  private constructor(
    readonly layout: Layout,
    readonly ref: EntryRef,
    readonly dir: string,
  ) {}

  get outDir(): string {
    return path.join(this.dir, ENTRY_FILES.out);
  }
  get stdoutPath(): string {
    return path.join(this.dir, ENTRY_FILES.stdout);
  }
  get stderrPath(): string {
    return path.join(this.dir, ENTRY_FILES.stderr);
  }

  /**
   * The folder is built under an `init-` name and renamed once its owner file
   * is written, so a staging folder never exists without an owner: a kill in
   * between leaves only an `init-` folder, which the sweep removes by name.
   */
  static create(layout: Layout, ref: EntryRef): Staging {
    const name = `${ref.key.slice(0, 12)}-${process.pid}-${crypto().randomBytes(4).toString('hex')}`;
    const init = path.join(layout.tmp, `${INIT_PREFIX}${name}`);
    const dir = path.join(layout.tmp, name);
    try {
      makeDirs(path.join(init, ENTRY_FILES.out));
      const owner = { ...currentOwner(), ref, created: new Date().toISOString() };
      writeFileSync(path.join(init, STAGING_OWNER), JSON.stringify(owner));
      renameSync(init, dir);
    } catch (err) {
      rmSync(init, { recursive: true, force: true });
      throw storeErrorFrom(err, 'creating a staging folder');
    }
    return new Staging(layout, ref, dir);
  }

  listOutputs(): OutputRecord[] {
    return listOutputs(this.outDir);
  }

  writeFile(name: string, data: Buffer | string): void {
    const file = path.join(this.dir, name);
    writeFileSync(file, data);
    fsyncPath(file);
  }

  /**
   * Seals outputs: their manifest goes to a file in this folder and their
   * stamps to verified.json; rejects with OutputRefused for escaping symlinks.
   */
  seal(): Promise<SealedOutputs> {
    return sealOutputs(this.outDir, path.join(this.dir, STAGING_MANIFEST), path.join(this.dir, ENTRY_FILES.verified));
  }

  /**
   * Writes meta.yaml last (the manifest copied in from the sealed outputs'
   * file, which goes), fsyncs, and renames the folder into place. With
   * `replace`, an existing entry is swapped out; without it, an entry that
   * appeared meanwhile wins and this staging is dropped (first writer wins).
   */
  async commit(
    meta: Omit<EntryMeta, 'outputs'>,
    sealed: SealedOutputs,
    replace: boolean,
  ): Promise<'stored' | 'kept-existing'> {
    try {
      // The stamps are in verified.json already (seal wrote them), before meta.yaml as ever.
      writeMetaFile(path.join(this.dir, ENTRY_FILES.meta), meta, sealed);
      rmSync(sealed.manifest, { force: true });
    } catch (err) {
      this.discard();
      throw storeErrorFrom(err, `storing the entry ${this.ref.task} ${this.ref.key.slice(0, 12)}`);
    }
    return this.moveIntoPlace(replace);
  }

  /**
   * Commits a folder that already holds a complete entry (a checked remote
   * artifact): meta.yaml stays byte for byte as it came, only verified.json
   * is written from the stamps taken when its outputs were laid out.
   */
  commitAsIs(stamps: Record<string, string>, replace = false): Promise<'stored' | 'kept-existing'> {
    try {
      writeFileSync(path.join(this.dir, ENTRY_FILES.verified), JSON.stringify(stamps));
    } catch (err) {
      this.discard();
      throw storeErrorFrom(err, `storing the entry ${this.ref.task} ${this.ref.key.slice(0, 12)}`);
    }
    return this.moveIntoPlace(replace);
  }

  private async moveIntoPlace(replace: boolean): Promise<'stored' | 'kept-existing'> {
    const target = this.layout.entryDir(this.ref);
    try {
      rmSync(path.join(this.dir, STAGING_OWNER), { force: true });
      fsyncPath(this.dir);
      makeDirs(path.dirname(target));
      let trash: string | null = null;
      if (existsSync(target)) {
        if (!replace) {
          this.discard();
          return 'kept-existing';
        }
        // Named after the key, so the next run of this key can put it back if we die before the next rename.
        trash = path.join(
          this.layout.tmp,
          `${TRASH_PREFIX}${this.ref.key.slice(0, 12)}-${crypto().randomBytes(6).toString('hex')}`,
        );
        renameSync(target, trash);
      }
      try {
        renameSync(this.dir, target);
      } catch (err) {
        // Another run stored this key between our check and our rename (a lock taken over as stale): first writer wins.
        const code = (err as NodeJS.ErrnoException).code;
        if (trash) {
          try {
            renameSync(trash, target); // put the old entry back: old state, not no state
          } catch {
            /* the next run of this key restores it (restoreSwappedOut) */
          }
          throw err;
        }
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        this.discard();
        return 'kept-existing';
      }
      fsyncPath(path.dirname(target));
      if (trash) rmSync(trash, { recursive: true, force: true });
      return 'stored';
    } catch (err) {
      this.discard();
      throw storeErrorFrom(err, `storing the entry ${this.ref.task} ${this.ref.key.slice(0, 12)}`);
    }
  }

  discard(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      /* prune sweeps what is left */
    }
  }
}
