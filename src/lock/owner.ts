import { readFileSync, readlinkSync } from 'node:fs';
import { os } from '../lazy-builtins.js';

/** Who holds a lock or fills a staging folder: enough to tell whether it is still alive. */
export interface Owner {
  host: string;
  bootId: string;
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat), to survive PID reuse. */
  start: string;
  /**
   * The PID namespace (`pid:[4026531836]`): containers on one host share the
   * boot id and may share a host name, but a PID means nothing across namespaces.
   */
  pidns?: string;
}

let cachedBootId: string | undefined;

export function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

let cachedPidns: string | undefined;

function pidNamespace(): string {
  if (cachedPidns === undefined) {
    try {
      cachedPidns = readlinkSync('/proc/self/ns/pid');
    } catch {
      cachedPidns = '';
    }
  }
  return cachedPidns;
}

export function currentOwner(): Owner {
  return {
    host: os().hostname(),
    bootId: bootId(),
    pid: process.pid,
    start: processStart(process.pid),
    pidns: pidNamespace(),
  };
}

/** True when the owner runs on this machine, since this boot, where its PID can be checked. */
export function isLocal(owner: Partial<Owner>): boolean {
  if (owner.host !== os().hostname() || owner.bootId !== bootId() || bootId() === '') return false;
  return owner.pidns === undefined || owner.pidns === pidNamespace();
}

/**
 * Whether a local owner process still exists. Only meaningful for local
 * owners; a remote owner's liveness is judged by its lock's heartbeat.
 */
export function isAlive(owner: Partial<Owner>): boolean {
  if (typeof owner.pid !== 'number') return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !owner.start || processStart(owner.pid) === owner.start;
}

/** A local owner that is gone; remote owners are never declared dead here. */
export function isDeadLocal(owner: Partial<Owner>): boolean {
  return isLocal(owner) && !isAlive(owner);
}
