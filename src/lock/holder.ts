import { readOwner, readTempOwners } from './files.js';
import { isAlive, isDeadLocal, isLocal, type Owner } from './owner.js';

/**
 * What can be told about a busy lock's holder without watching its heartbeat:
 * alive here, dead here, or (on another machine, or unknown) only its
 * heartbeat can tell.
 */
export type Holder =
  | { state: 'alive' }
  | { state: 'dead'; owner: Partial<Owner> | null; tempOwners: string[] }
  | { state: 'heartbeat'; owner: Partial<Owner> | null };

function byOwner(owner: Partial<Owner>): Holder {
  if (!isLocal(owner)) return { state: 'heartbeat', owner };
  return isAlive(owner) ? { state: 'alive' } : { state: 'dead', owner, tempOwners: [] };
}

/**
 * A taker writes its owner file under a temporary name before it creates the
 * lock folder and renames it into place after, so at every instant a lock's
 * holder is named by the owner file or by a temporary one. An owner-less lock
 * whose temporary owner files all belong to dead local processes was left by
 * one of them (killed between the two steps); a live local one among them may
 * be the holder (or a taker about to give up), so it is waited for.
 */
export function judgeHolder(target: string): Holder {
  const owner = readOwner(target);
  if (owner) return byOwner(owner);
  const temps = readTempOwners(target);
  // The holder may have renamed its temporary file into place while we listed them: look again.
  const renamed = readOwner(target);
  if (renamed) return byOwner(renamed);
  const known = temps.filter((t) => t.owner !== null);
  if (known.some((t) => isLocal(t.owner!) && isAlive(t.owner!))) return { state: 'alive' };
  if (known.length > 0 && known.every((t) => isDeadLocal(t.owner!)))
    return { state: 'dead', owner: null, tempOwners: known.map((t) => t.file) };
  return { state: 'heartbeat', owner: null };
}

export function sameOwner(a: Partial<Owner> | null, b: Partial<Owner> | null): boolean {
  if (!a || !b) return a === b;
  return a.pid === b.pid && a.start === b.start && a.host === b.host && a.bootId === b.bootId && a.pidns === b.pidns;
}
