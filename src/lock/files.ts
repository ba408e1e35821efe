import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Owner } from './owner.js';

/**
 * The files of one key's lock, beside each other in locks/<module>/<task>/:
 * `<key>.lock` (the mkdir lock, its mtime the heartbeat), `<key>.owner.json`
 * (who holds it), `<key>.owner.json.<pid>` (a taker's owner file before it is
 * renamed into place) and `<key>.break` (serialises those who break it).
 */
export const LOCK_SUFFIX = '.lock';
export const lockDir = (target: string): string => `${target}${LOCK_SUFFIX}`;
export const ownerFile = (target: string): string => `${target}.owner.json`;
export const tempOwnerFile = (target: string, pid: number = process.pid): string => `${ownerFile(target)}.${pid}`;
export const breakerDir = (target: string): string => `${target}.break`;

const TEMP_OWNER = /\.owner\.json\.(\d+)$/;

export function isTempOwnerFile(file: string): boolean {
  return TEMP_OWNER.test(file);
}

function readJson(file: string): Partial<Owner> | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Partial<Owner>) : null;
  } catch {
    return null;
  }
}

export function readOwner(target: string): Partial<Owner> | null {
  return readJson(ownerFile(target));
}

export interface TempOwner {
  file: string;
  /** Null when unreadable: its writer was killed while writing it, before it tried to take the lock. */
  owner: Partial<Owner> | null;
}

/** The temporary owner files of one key (usually none). */
export function readTempOwners(target: string): TempOwner[] {
  const dir = path.dirname(target);
  const prefix = `${path.basename(ownerFile(target))}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(prefix) && TEMP_OWNER.test(name))
    .map((name) => ({ file: path.join(dir, name), owner: readJson(path.join(dir, name)) }));
}
