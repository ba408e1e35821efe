import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isTempOwnerFile } from './files.js';
import { ageInFileSystemClock, isClockProbe } from './heartbeat.js';
import { isAlive, isLocal, type Owner } from './owner.js';

/**
 * A temporary owner file lives from just before a taker tries the lock until
 * it renames it into place (or gives up), and again while the holder
 * releases: milliseconds. One whose writer died here is a leftover at once;
 * one from another machine, or unreadable, after an hour (in the file
 * system's clock), since its writer cannot be asked.
 */
const FOREIGN_TEMP_AGE_MS = 60 * 60 * 1000;
/** A clock probe exists for microseconds; one a minute old was left by a killed process. */
const PROBE_AGE_MS = 60 * 1000;

export interface StaleTempOwner {
  file: string;
  reason: string;
}

function why(file: string): string | null {
  if (isClockProbe(path.basename(file))) {
    const age = ageInFileSystemClock(file);
    return age !== null && age > PROBE_AGE_MS ? 'a clock probe left by a killed run' : null;
  }
  let owner: Partial<Owner> | null = null;
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<Owner>;
  } catch {
    /* unreadable: judged by age */
  }
  if (owner && isLocal(owner))
    return isAlive(owner) ? null : `its writer (pid ${owner.pid}) died while taking the lock`;
  const age = ageInFileSystemClock(file);
  if (age === null || age < FOREIGN_TEMP_AGE_MS) return null;
  return owner ? 'left by a run on another machine over an hour ago' : 'unreadable and over an hour old';
}

/** Temporary owner files (and clock probes) under the locks folder that no live process will rename or remove. */
export function findStaleTempOwners(locksRoot: string): StaleTempOwner[] {
  const found: StaleTempOwner[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && !e.name.endsWith('.lock') && !e.name.endsWith('.break')) walk(full);
      else if (e.isFile() && (isTempOwnerFile(e.name) || isClockProbe(e.name))) {
        const reason = why(full);
        if (reason) found.push({ file: full, reason });
      }
    }
  };
  walk(locksRoot);
  return found;
}

/** Removes one, judged again first (its PID may have been taken by a new run since). */
export function removeStaleTempOwner(file: string): void {
  if (why(file)) rmSync(file, { force: true });
}

/** Whether a leftover path is one of these (rather than a lock folder). */
export function isSweptLockFile(file: string): boolean {
  const name = path.basename(file);
  return isTempOwnerFile(name) || isClockProbe(name);
}
